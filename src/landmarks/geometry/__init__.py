"""Pure tensor maths: the coordinate convention, the keypoint bottleneck (eq. 1-2), TPS warps."""
