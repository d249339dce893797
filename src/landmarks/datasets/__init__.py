"""Named datasets read as distributed (CelebA/MAFL, AFLW, SVHN, smallNORB, BBC-Pose, Human3.6M,
VoxCeleb): training images, evaluation splits and pair-group descriptions. See ``docs/datasets.md``."""

from landmarks.datasets.registry import dataset_names, is_dataset, open_dataset, protocol_preprocessing

__all__ = ["dataset_names", "is_dataset", "open_dataset", "protocol_preprocessing"]
