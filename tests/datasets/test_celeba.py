import numpy as np
import pytest
from PIL import Image

from landmarks.data.preprocess import ResizeSpec, fit_to_model, model_transform
from landmarks.datasets import open_dataset
from landmarks.datasets.celeba import POINT_NAMES, read_celeba_landmarks
from landmarks.errors import DataError

COUNT = 30  # images in the fixture
MAFL_TEST = [3, 7, 11, 19, 22]  # 1-based image numbers
MAFL_TRAIN = [n for n in range(1, 26) if n not in MAFL_TEST]  # 20 images
PARTITION = {n: 0 if n <= 20 else (1 if n <= 25 else 2) for n in range(1, COUNT + 1)}


def name(number):
    return f"{number:06d}.jpg"


def points_of(number):
    return np.array([[60 + number, 100], [110, 100 + number], [88, 130], [70, 150], [105, 150.0]])


def write_celeba(root, image_size=(218, 178)):
    """CelebA + MAFL in their distributed layout: count line and header, space-padded columns."""
    (root / "Img" / "img_align_celeba").mkdir(parents=True)
    (root / "Anno").mkdir()
    (root / "Eval").mkdir()
    (root / "MAFL").mkdir()
    header = (
        "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y "
        "leftmouth_x leftmouth_y rightmouth_x rightmouth_y"
    )
    lines = [str(COUNT), header]
    for number in range(1, COUNT + 1):
        Image.fromarray(np.full((*image_size, 3), number, np.uint8)).save(
            root / "Img/img_align_celeba" / name(number)
        )
        lines.append(name(number) + "".join(f"{int(v):>5d}" for v in points_of(number).ravel()))
    (root / "Anno/list_landmarks_align_celeba.txt").write_text("\n".join(lines) + "\n")
    partition = "".join(f"{name(n)} {p}\n" for n, p in PARTITION.items())
    (root / "Eval/list_eval_partition.txt").write_text(partition)
    rng = np.random.default_rng(0)  # MAFL lists are not in CelebA order: the splits must not depend on it
    (root / "MAFL/training.txt").write_text("".join(name(n) + "\n" for n in rng.permutation(MAFL_TRAIN)))
    (root / "MAFL/testing.txt").write_text("".join(name(n) + "\n" for n in rng.permutation(MAFL_TEST)))
    return root


@pytest.fixture
def celeba_root(tmp_path):
    return write_celeba(tmp_path / "celeba")


def numbers(annotations):
    return [int(path.stem) for path in annotations.image_paths]


def test_mafl_splits_follow_the_released_rules(celeba_root):
    splits = open_dataset("celeba", celeba_root).evaluation_splits()
    # last 10% of MAFL-train in CelebA order (round(2.0) = 2) is validation
    assert numbers(splits.train) == MAFL_TRAIN[:18]
    assert numbers(splits.val) == MAFL_TRAIN[18:] == [24, 25]
    assert numbers(splits.test) == MAFL_TEST
    assert splits.eye_indices == (0, 1)
    assert splits.frame == "model-input"  # errors in the 128 x 128 crop, as the paper
    assert splits.test.point_names == POINT_NAMES
    np.testing.assert_array_equal(splits.test.points[1], points_of(7))
    assert splits.test.paths[0] == celeba_root / "Img/img_align_celeba/000003.jpg"


def test_paper_training_images_are_celeba_minus_mafl_test(celeba_root):
    celeba = open_dataset("celeba", celeba_root)
    spec = ResizeSpec(128, "stretch-crop", 160)
    train, val = celeba.training_images(spec, validation_count=4), celeba.validation_images(spec, 4)
    train_numbers = [int(p.stem) for p in train.paths]
    val_numbers = [int(p.stem) for p in val.paths]
    assert not set(train_numbers) & set(MAFL_TEST) and not set(val_numbers) & set(MAFL_TEST)
    assert not set(train_numbers) & set(val_numbers)
    assert sorted(train_numbers + val_numbers) == [n for n in range(1, COUNT + 1) if n not in MAFL_TEST]
    assert val_numbers == [27, 28, 29, 30]
    assert train[0]["image"].shape == (3, 128, 128)


def test_released_training_images_are_the_train_partition_minus_mafl_test_and_val(celeba_root):
    celeba = open_dataset("celeba-released", celeba_root)
    spec = ResizeSpec(64, "stretch-crop", 80)
    train = [int(p.stem) for p in celeba.training_images(spec, validation_count=4).paths]
    assert train == [n for n in range(1, 21) if n not in MAFL_TEST]  # MAFL val (24, 25) is partition 1
    val = [int(p.stem) for p in celeba.validation_images(spec, 3).paths]
    assert val == [21, 23]  # partition 1 without MAFL-test (22) and MAFL validation (24, 25)


def test_protocol_preprocessing_is_160_stretch_then_central_128():
    from landmarks.datasets.celeba import PREPROCESSING

    assert PREPROCESSING.spec(128) == ResizeSpec(128, "stretch-crop", 160)
    assert PREPROCESSING.overrides(64) == ["data.resize=stretch-crop", "data.resize_to=80"]


def test_a_point_ends_at_its_known_pixel_after_resize_and_crop():
    transform = model_transform(218, 178, ResizeSpec(128, "stretch-crop", 160))
    # the image centre (88.5, 108.5) is the crop centre; pixel (0, 0)'s top-left corner (-0.5, -0.5)
    # goes to the resized corner, 16 pixels outside the crop on each side
    np.testing.assert_allclose(
        transform.to_model(np.array([[88.5, 108.5], [-0.5, -0.5]])), [[63.5, 63.5], [-16.5, -16.5]]
    )
    # x scales by 160/178, y by 160/218
    np.testing.assert_allclose(
        transform.to_model(np.array([[88.5 + 178 / 16, 108.5 + 218 / 16]])), [[73.5, 73.5]]
    )


def test_a_bright_spot_lands_where_the_transform_says():
    image = np.zeros((218, 178, 3), np.uint8)
    image[60:66, 120:126] = 255  # centre (122.5, 62.5)
    spec = ResizeSpec(128, "stretch-crop", 160)
    tensor, transform = fit_to_model(image, spec)
    weight = tensor[0].numpy()
    rows, cols = np.mgrid[:128, :128]
    centroid = [(weight * cols).sum() / weight.sum(), (weight * rows).sum() / weight.sum()]
    np.testing.assert_allclose(centroid, transform.to_model(np.array([122.5, 62.5])), atol=0.05)
    assert transform == model_transform(218, 178, spec)


@pytest.mark.parametrize(
    "missing",
    ["Anno/list_landmarks_align_celeba.txt", "MAFL/testing.txt", "MAFL/training.txt", "Img/img_align_celeba"],
)
def test_a_missing_file_is_named(celeba_root, missing):
    path = celeba_root / missing
    if path.is_dir():
        for file in path.iterdir():
            file.unlink()
        path.rmdir()
    else:
        path.unlink()
    with pytest.raises(DataError) as error:
        open_dataset("celeba", celeba_root)
    assert error.value.path == path


def test_released_split_needs_the_partition_file(celeba_root):
    (celeba_root / "Eval/list_eval_partition.txt").unlink()
    open_dataset("celeba", celeba_root)  # the paper's split does not use it
    with pytest.raises(DataError, match="list_eval_partition.txt"):
        open_dataset("celeba-released", celeba_root)


def test_a_missing_mafl_image_is_named(celeba_root):
    (celeba_root / "Img/img_align_celeba/000007.jpg").unlink()
    with pytest.raises(DataError, match="000007.jpg"):
        open_dataset("celeba", celeba_root).evaluation_splits()


def test_a_truncated_landmark_list_is_an_error(celeba_root):
    path = celeba_root / "Anno/list_landmarks_align_celeba.txt"
    path.write_text("\n".join(path.read_text().splitlines()[:-3]) + "\n")
    with pytest.raises(DataError, match="announces 30 images, the file lists 27"):
        read_celeba_landmarks(path)


def test_mafl_names_must_be_celeba_images(celeba_root):
    (celeba_root / "MAFL/testing.txt").write_text("999999.jpg\n")
    with pytest.raises(DataError, match="999999.jpg"):
        open_dataset("celeba", celeba_root).evaluation_splits()


def test_the_authors_img_align_celeba_hq_folder_is_accepted(celeba_root):
    (celeba_root / "Img" / "img_align_celeba").rename(celeba_root / "Img" / "img_align_celeba_hq")
    splits = open_dataset("celeba", celeba_root).evaluation_splits()
    assert splits.test.root == celeba_root / "Img" / "img_align_celeba_hq"
    assert len(splits.test) == len(MAFL_TEST)
