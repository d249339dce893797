"""Small data fixtures in each source's real on-disk format, for ``data_throughput.py``.

Every writer makes one source's files under ``root`` and returns the folder that ``data.root``
names. Image content is a smooth random pattern (it compresses like a photo, unlike noise); videos
pan it by 2 pixels a frame. Sizes follow the real data where they decide the cost of a pair (CelebA's
178 x 218 JPEGs, smallNORB's 96 x 96 pairs of cameras, SVHN's 32 x 32 MAT arrays, VoxCeleb1's 224 x 224
face-track frames); counts are small, since the cost per pair does not depend on them. Annotations
are placeholders in the right format: throughput never reads their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import scipy.io
from PIL import Image

from landmarks.datasets.bbc_pose import SPLIT_VIDEOS
from landmarks.datasets.human36m import JOINTS, POSE_VARIABLE, TRAIN_SUBJECTS
from landmarks.datasets.norb_binary import write_binary_matrix
from landmarks.datasets.smallnorb import FILE_STEMS

CELEBA_SIZE = (178, 218)  # (W, H) of CelebA's aligned images
JPEG_QUALITY = 95


@dataclass(frozen=True)
class FixtureSizes:
    """How much of each fixture to write (``--quick`` makes them smaller)."""

    images: int = 256  # JPEGs of the image folder and of CelebA
    videos: int = 8  # H.264 files of the video folder (and frame folders of them)
    frames: int = 150  # frames per video
    video_size: int = 256  # pixels, square
    gop: int = 25  # frames between key frames
    views: int = 32  # multi-view groups, 6 views each
    clip_frames: int = 40  # frames per BBC-Pose, Human3.6M and VoxCeleb video
    bbc_size: tuple[int, int] = (640, 360)  # (W, H) of a BBC-Pose frame
    h36m_size: int = 1000  # Human3.6M's 1000 x 1000 camera videos (MPEG-4 part 2)


def smooth_image(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """``(H, W, 3)`` uint8: a coarse random pattern, upsampled bicubically."""
    coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    big = Image.fromarray(coarse).resize((width * 2, height * 2), Image.BICUBIC)
    return np.asarray(big)[height // 2 : height // 2 + height, width // 2 : width // 2 + width]


def save_jpeg(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=JPEG_QUALITY)


def write_jpegs(folder: Path, count: int, size: tuple[int, int], seed: int = 0, start: int = 0) -> list[str]:
    """``count`` JPEGs ``000001.jpg ...`` of ``size`` (W, H); returns their names."""
    rng = np.random.default_rng(seed)
    names = [f"{start + i + 1:06d}.jpg" for i in range(count)]
    for name in names:
        save_jpeg(folder / name, smooth_image(rng, *size))
    return names


def write_video(path: Path, frames: int, width: int, height: int, *, codec: str = "libx264",
                gop: int = 25, seed: int = 0, rate: int = 25) -> Path:
    """A video of a pattern panning 2 pixels a frame (yuv420p, a key frame every ``gop``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pattern = smooth_image(np.random.default_rng(seed), width, height)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(gop)} | ({"preset": "veryfast", "crf": "20"} if codec == "libx264" else {})
        for index in range(frames):
            pixels = np.ascontiguousarray(np.roll(pattern, 2 * index, axis=1))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    return path


def write_frames(video: Path, folder: Path, name: str = "{:05d}.jpg") -> None:
    """Every frame of ``video`` as a JPEG in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            save_jpeg(folder / name.format(index + 1), frame.to_ndarray(format="rgb24"))


def image_folder(root: Path, sizes: FixtureSizes) -> Path:
    write_jpegs(root, sizes.images, CELEBA_SIZE)
    return root


def video_folder(root: Path, sizes: FixtureSizes) -> Path:
    for number in range(sizes.videos):
        write_video(root / f"clip{number:03d}.mp4", sizes.frames, sizes.video_size, sizes.video_size,
                    gop=sizes.gop, seed=number)
    return root


def frame_folders(root: Path, sizes: FixtureSizes, videos: Path) -> Path:
    for video in sorted(videos.glob("*.mp4")):
        write_frames(video, root / video.stem)
    return root


def multi_view(root: Path, sizes: FixtureSizes) -> Path:
    """One subfolder per instance holding its views."""
    for group in range(sizes.views):
        write_jpegs(root / f"instance{group:03d}", 6, (128, 128), seed=group)
    return root


def celeba(root: Path, sizes: FixtureSizes) -> Path:
    """CelebA + MAFL as distributed: images, landmark list, partition and the MAFL lists."""
    count = sizes.images
    names = write_jpegs(root / "Img" / "img_align_celeba", count, CELEBA_SIZE)
    header = "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y " \
             "rightmouth_x rightmouth_y"
    points = "".join(f"{v:>5d}" for v in (69, 111, 108, 111, 89, 134, 72, 152, 106, 152))
    (root / "Anno").mkdir()
    (root / "Anno/list_landmarks_align_celeba.txt").write_text(
        "\n".join([str(count), header, *(name + points for name in names)]) + "\n")
    (root / "Eval").mkdir()
    partition = [0 if i < count * 0.8 else 1 if i < count * 0.9 else 2 for i in range(count)]
    (root / "Eval/list_eval_partition.txt").write_text(
        "".join(f"{name} {part}\n" for name, part in zip(names, partition, strict=True)))
    (root / "MAFL").mkdir()
    test = names[::10]
    (root / "MAFL/training.txt").write_text("".join(n + "\n" for n in names if n not in test))
    (root / "MAFL/testing.txt").write_text("".join(n + "\n" for n in test))
    return root


def aflw(root: Path, sizes: FixtureSizes) -> Path:
    """The released AFLW crops: image lists and ``(N, 5, 2)`` (y, x) keypoints with ``hw`` in MAT files."""
    for subset, count, start in (("train", sizes.images, 0), ("test", 16, sizes.images)):
        names = write_jpegs(root / "output" / subset, count, (250, 250), start=start)
        (root / f"aflw_{subset}_images.txt").write_text("".join(f"{subset}/{n}\n" for n in names))
        gt = np.tile(np.array([[100, 90], [100, 160], [130, 125], [160, 95], [160, 155.0]]), (count, 1, 1))
        hw = np.tile([[250.0, 250.0]], (count, 1))
        scipy.io.savemat(root / f"aflw_{subset}_keypoints.mat", {"gt": gt, "hw": hw})
    return root


def svhn(root: Path, sizes: FixtureSizes) -> Path:
    """``train_32x32.mat`` and ``test_32x32.mat``: X ``(32, 32, 3, N)`` uint8, y ``(N, 1)`` in 1..10."""
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, count in (("train", 4 * sizes.images), ("test", 64)):
        x = np.stack([smooth_image(rng, 32, 32) for _ in range(count)], axis=-1)
        y = (np.arange(count) % 10 + 1).reshape(-1, 1).astype(np.uint8)
        scipy.io.savemat(root / f"{name}_32x32.mat", {"X": x, "y": y})
    return root


def smallnorb(root: Path, sizes: FixtureSizes) -> Path:
    """The binary-matrix files (dat, cat, info) of both splits: 96 x 96 stereo pairs, a subset of the
    real rows (2 categories x 2 instances x 2 lightings x 3 elevations x 6 azimuths)."""
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, instances in (("training", (4, 6)), ("testing", (0, 1))):
        rows = [(c, i, e, a, light) for c in (0, 4) for i in instances for light in (0, 3)
                for e in (0, 4, 8) for a in range(0, 36, 6)]
        cameras = [smooth_image(rng, 96, 96)[..., :2].transpose(2, 0, 1) for _ in rows]  # two grey images
        images = np.stack(cameras)  # (N, 2, 96, 96) uint8
        stem = root / FILE_STEMS[split]
        write_binary_matrix(stem.with_name(stem.name + "-dat.mat"), np.ascontiguousarray(images))
        write_binary_matrix(stem.with_name(stem.name + "-cat.mat"), np.array([r[0] for r in rows], "<i4"))
        write_binary_matrix(stem.with_name(stem.name + "-info.mat"), np.array([r[1:] for r in rows], "<i4"))
    return root


def bbc_pose(root: Path, sizes: FixtureSizes) -> Path:
    """The toolkit's ``bbcpose.mat`` (a 1 x 20 struct array) and one folder of JPEG frames per video."""
    fields = ("videoName", "type", "source", "train_frames", "train_joints", "test_frames", "test_joints")
    entries = np.zeros((1, 20), dtype=[(f, object) for f in fields])
    frames = np.arange(1, sizes.clip_frames + 1, dtype=float)
    kinds = {n: split for split, videos in SPLIT_VIDEOS.items() for n in videos}
    for video in range(1, 21):
        entry = entries[0, video - 1]
        entry["videoName"], entry["type"], entry["source"] = f"video{video}", kinds[video], "tracker"
        entry["train_frames"] = frames[None]
        entry["train_joints"] = np.full((2, 7, len(frames)), 100.0)
        entry["test_frames"], entry["test_joints"] = np.zeros((1, 0)), np.zeros((0, 0))
        if video in SPLIT_VIDEOS["train"]:  # only training videos are read for pairs
            rng = np.random.default_rng(video)
            for frame in range(1, sizes.clip_frames + 1):
                save_jpeg(root / str(video) / f"{frame}.jpg", smooth_image(rng, *sizes.bbc_size))
        else:
            (root / str(video)).mkdir(parents=True)
    scipy.io.savemat(root / "bbcpose.mat", {"bbcpose": entries})
    return root


def human36m(root: Path, sizes: FixtureSizes) -> Path:
    """One MPEG-4 camera video per training subject and its ``D2_Positions`` CDF (variable Pose)."""
    from cdflib.cdfwrite import CDF

    side = sizes.h36m_size
    for number, subject in enumerate(TRAIN_SUBJECTS):
        action = "Walking 1.54138969"
        write_video(root / subject / "Videos" / f"{action}.mp4", sizes.clip_frames, side, side,
                    codec="mpeg4", gop=12, seed=number, rate=50)
        poses = np.zeros((sizes.clip_frames, JOINTS, 2))
        poses[..., 0] = np.linspace(0.35 * side, 0.65 * side, JOINTS)
        poses[..., 1] = np.linspace(0.2 * side, 0.9 * side, JOINTS)
        folder = root / subject / "MyPoseFeatures/D2_Positions"
        folder.mkdir(parents=True)
        cdf = CDF(str(folder / f"{action}.cdf"))
        cdf.write_globalattrs({})
        data = poses.reshape(len(poses), 2 * JOINTS)
        cdf.write_var({"Variable": POSE_VARIABLE, "Data_Type": CDF.CDF_DOUBLE, "Num_Elements": 1,
                       "Rec_Vary": True, "Dim_Sizes": list(data.shape)}, var_data=data)
        cdf.close()
    return root


def voxceleb(root: Path, sizes: FixtureSizes) -> Path:
    """VoxCeleb1's face-track frames: ``<identity>/<video>/<utterance>/<frame>.jpg``, 224 x 224."""
    for identity in range(4):
        for video in range(2):
            for utterance in range(2):
                folder = root / f"id1000{identity}" / f"vid{video}" / f"0000{utterance + 1}"
                seed = 100 * identity + 10 * video + utterance
                write_jpegs(folder, sizes.clip_frames // 2, (224, 224), seed=seed)
    return root
