"""The networks: detector Phi, appearance encoder, generator Psi, loss networks."""

from landmarks.models.landmark_model import LandmarkModel, ModelOutput, build_model

__all__ = ["LandmarkModel", "ModelOutput", "build_model"]
