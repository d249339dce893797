"""A released checkpoint's variables (tomasjakab/imm's names and TF shapes) filled with random numbers,
and the released graph evaluated on them with TensorFlow ops (the "original graph" a converted model
must reproduce). The names and layout follow imm/models/imm_model.py; nothing of it is copied."""

from __future__ import annotations

import numpy as np

SCOPE = "model/"
SIGMA = 0.1  # the released configs' gauss_std
BN_EPS = 1e-3  # tf.layers.batch_normalization's default


def released_variables(num_landmarks: int = 10, *, base: int = 32, render: int = 256, blocks: int = 4,
                       seed: int = 0, extras: bool = True) -> dict[str, np.ndarray]:
    """Variable name -> float32 array of a released IMM checkpoint (128 px: ``blocks`` = 4)."""
    rng = np.random.default_rng(seed)
    variables: dict[str, np.ndarray] = {}

    def conv(scope: str, kernel: int, c_in: int, c_out: int, *, norm: bool = True) -> None:
        leaf = scope.rsplit("/", 1)[-1]
        std = np.sqrt(2.0 / (kernel * kernel * c_in))
        variables[f"{scope}/{leaf}/w"] = rng.normal(0, std, (kernel, kernel, c_in, c_out))
        variables[f"{scope}/{leaf}/b"] = rng.normal(0, 0.1, c_out)
        if norm:
            bn = f"{scope}/batch_normalization"
            variables[f"{bn}/gamma"] = rng.uniform(0.5, 1.5, c_out)
            variables[f"{bn}/beta"] = rng.normal(0, 0.1, c_out)
            variables[f"{bn}/moving_mean"] = rng.normal(0, 0.5, c_out)
            variables[f"{bn}/moving_variance"] = rng.uniform(0.5, 2.0, c_out)

    for net in ("pose_encoder/encoder", "image_encoder/encoder"):
        widths = [base * 2**i for i in range(blocks)]
        c_in = 3
        for n in range(1, 2 * blocks + 1):
            c_out = widths[(n - 1) // 2]
            conv(f"{SCOPE}{net}/conv_{n}", 7 if n == 1 else 3, c_in, c_out)
            c_in = c_out
    conv(f"{SCOPE}pose_encoder/conv_1", 1, base * 2 ** (blocks - 1), num_landmarks, norm=False)
    variables[f"{SCOPE}pose_encoder/conv_1/conv_1/w"] *= 4  # peaked score maps
    c_in, width = base * 2 ** (blocks - 1) + num_landmarks, render
    for n in range(1, 2 * blocks):
        conv(f"{SCOPE}renderer/conv_{n}", 3, c_in, width)
        c_in = width
        if n % 2 == 0:
            width //= 2
    conv(f"{SCOPE}renderer/conv_{2 * blocks}", 3, c_in, 3 + 6, norm=False)  # channels_bug_fix: RGB + 6
    variables = {name: value.astype(np.float32) for name, value in variables.items()}
    if extras:  # what a training checkpoint holds besides the networks
        first = f"{SCOPE}pose_encoder/encoder/conv_1/conv_1/w"
        variables[first + "/Adam"] = np.zeros_like(variables[first])
        variables[first + "/Adam_1"] = np.zeros_like(variables[first])
        variables["SelfSupReconstructionLoss/vgg16/conv1_1/weights"] = np.zeros((3, 3, 1, 64), np.float32)
        variables["SelfSupReconstructionLoss/conv1_2_agg"] = np.float32(1.6)
        variables["beta1_power"] = np.float32(0.9)
        variables["global_step"] = np.int64(1234)
    return variables


def write_tf_checkpoint(variables: dict[str, np.ndarray], prefix) -> None:
    """Save ``variables`` under their names as a TF checkpoint at ``prefix`` (as tf.train.Saver did)."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    with tf.Graph().as_default():
        tf_vars = {name: tf1.Variable(value, name=name.replace("/", "_"))
                   for name, value in variables.items()}
        saver = tf1.train.Saver(var_list=tf_vars)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            saver.save(session, str(prefix), write_meta_graph=False)


def released_graph(variables: dict[str, np.ndarray], source: np.ndarray, target: np.ndarray, *,
                   blocks: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The released graph in evaluation mode, with TensorFlow ops.

    source, target: ``(B, S, S, 3)`` RGB 0-255 (NHWC). Returns the target's keypoints ``(B, K, 2)``
    as ``(y, x)`` in [-1, 1] (the released ``gauss_yx``) and the reconstruction ``(B, S, S, 3)`` 0-255.
    """
    import tensorflow as tf

    def conv(x, scope, stride=1, norm=True, relu=True):
        leaf = scope.rsplit("/", 1)[-1]
        y = tf.nn.conv2d(x, variables[f"{scope}/{leaf}/w"], [1, stride, stride, 1], "SAME")
        y = tf.nn.bias_add(y, variables[f"{scope}/{leaf}/b"])
        if norm:
            bn = {k: variables[f"{scope}/batch_normalization/{k}"]
                  for k in ("gamma", "beta", "moving_mean", "moving_variance")}
            y = tf.nn.batch_normalization(y, bn["moving_mean"], bn["moving_variance"], bn["beta"],
                                          bn["gamma"], BN_EPS)
        return tf.nn.relu(y) if relu else y

    def trunk(x, net):
        for n in range(1, 2 * blocks + 1):
            x = conv(x, f"{SCOPE}{net}/conv_{n}", stride=2 if n > 1 and n % 2 == 1 else 1)
        return x

    scores = conv(trunk(tf.constant(target), "pose_encoder/encoder"), f"{SCOPE}pose_encoder/conv_1",
                  norm=False, relu=False)  # (B, h, h, K)
    size = scores.shape[1]
    grid = tf.reshape(tf.linspace(-1.0, 1.0, size), [1, size, 1])

    def coordinate(other_axis):
        probs = tf.nn.softmax(tf.reduce_mean(scores, axis=other_axis), axis=1)  # (B, h, K)
        return tf.reduce_sum(probs * grid, axis=1)  # (B, K)

    mu_y, mu_x = coordinate(2), coordinate(1)
    lin = tf.linspace(-1.0, 1.0, size)
    dy = tf.square(tf.reshape(lin, [1, 1, size, 1]) - mu_y[:, :, None, None])
    dx = tf.square(tf.reshape(lin, [1, 1, 1, size]) - mu_x[:, :, None, None])
    maps = tf.transpose(tf.exp(-(dy + dx) / SIGMA**2), [0, 2, 3, 1])  # (B, h, h, K)
    x = tf.concat([trunk(tf.constant(source), "image_encoder/encoder"), maps], axis=-1)
    for n in range(1, 2 * blocks):
        x = conv(x, f"{SCOPE}renderer/conv_{n}")
        if n % 2 == 0:
            side = 2 * x.shape[1]
            x = tf.compat.v1.image.resize_bilinear(x, [side, side], align_corners=False,
                                                   half_pixel_centers=False)
    x = conv(x, f"{SCOPE}renderer/conv_{2 * blocks}", norm=False, relu=False)[..., :3]
    return tf.stack([mu_y, mu_x], axis=2).numpy(), x.numpy()


def released_graph_numpy(variables: dict[str, np.ndarray], source: np.ndarray, target: np.ndarray, *,
                         blocks: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """:func:`released_graph` written with numpy alone, TF's conventions by hand (for machines without
    TensorFlow): "same" padding ``max((ceil(n / s) - 1) s + k - n, 0)``, the smaller half before; TF1
    bilinear resize sampling output ``i`` at input ``i n / m``; NHWC and HWIO throughout."""

    def conv(x, scope, stride=1, norm=True, relu=True):
        leaf = scope.rsplit("/", 1)[-1]
        w, b = variables[f"{scope}/{leaf}/w"].astype(np.float64), variables[f"{scope}/{leaf}/b"]
        k, n = w.shape[0], x.shape[1]
        total = max((-(-n // stride) - 1) * stride + k - n, 0)
        x = np.pad(x, [(0, 0), (total // 2, total - total // 2), (total // 2, total - total // 2), (0, 0)])
        windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # (B, H', W', C, k, k)
        windows = windows[:, ::stride, ::stride]
        y = np.einsum("bhwcij,ijco->bhwo", windows, w, optimize=True) + b
        if norm:
            bn = f"{scope}/batch_normalization"
            y = (y - variables[f"{bn}/moving_mean"]) / np.sqrt(variables[f"{bn}/moving_variance"] + BN_EPS)
            y = y * variables[f"{bn}/gamma"] + variables[f"{bn}/beta"]
        return np.maximum(y, 0) if relu else y

    def trunk(x, net):
        for n in range(1, 2 * blocks + 1):
            x = conv(x, f"{SCOPE}{net}/conv_{n}", stride=2 if n > 1 and n % 2 == 1 else 1)
        return x

    def resize_tf1(x, size):
        position = np.arange(size) * x.shape[1] / size  # no half-pixel offset
        low = np.floor(position).astype(int)
        high, frac = np.minimum(low + 1, x.shape[1] - 1), position - low
        x = x[:, low] * (1 - frac)[None, :, None, None] + x[:, high] * frac[None, :, None, None]
        return x[:, :, low] * (1 - frac)[None, None, :, None] + x[:, :, high] * frac[None, None, :, None]

    scores = conv(trunk(target.astype(np.float64), "pose_encoder/encoder"), f"{SCOPE}pose_encoder/conv_1",
                  norm=False, relu=False)  # (B, h, h, K)
    grid = np.linspace(-1.0, 1.0, scores.shape[1])

    def coordinate(other_axis):
        mean = scores.mean(axis=other_axis)  # (B, h, K)
        probs = np.exp(mean - mean.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        return (probs * grid[None, :, None]).sum(axis=1)  # (B, K)

    mu_y, mu_x = coordinate(2), coordinate(1)
    dy = (grid[None, None, :, None] - mu_y[:, :, None, None]) ** 2
    dx = (grid[None, None, None, :] - mu_x[:, :, None, None]) ** 2
    maps = np.exp(-(dy + dx) / SIGMA**2).transpose(0, 2, 3, 1)  # (B, h, h, K)
    x = np.concatenate([trunk(source.astype(np.float64), "image_encoder/encoder"), maps], axis=-1)
    for n in range(1, 2 * blocks):
        x = conv(x, f"{SCOPE}renderer/conv_{n}")
        if n % 2 == 0:
            x = resize_tf1(x, 2 * x.shape[1])
    x = conv(x, f"{SCOPE}renderer/conv_{2 * blocks}", norm=False, relu=False)[..., :3]
    return np.stack([mu_y, mu_x], axis=2), x
