"""The input pipeline's configuration: what the network wants and which augmentations are on, per image
(`DataConfig`, a recipe's [data]) and per batch (`BatchAugmentSection`, its [batch_augment]).

A recipe's `[data]` section maps onto `DataConfig` field by field. Every field has a TOML-friendly type (no
None): "auto" strings, 0 and empty tuples mean "work it out".
"""

from __future__ import annotations

import dataclasses

from cnnapp.errors import CnnappError, unknown

# How the native image is brought to the network's input size (both pipelines).
RESIZE_MODES = ("stretch", "pad", "centre", "short_side")

# A phone camera's steps (cnnapp.data.camera), named in data.augment like the lectures' augmentations.
CAMERA_STEPS = {
    "stroke": "stroke width: erode or dilate the ink by a pixel (thin pencil to thick marker)",
    "camera_geometry": "digit at 20-100% of the frame height, anywhere in it, rotated ±15°, some perspective",
    "paper": "dark ink on tinted paper (3 in 4) or light on dark; ruled or squared paper",
    "light": "uneven light: a brightness gradient and a soft shadow across the frame",
    "sensor": "focus or motion blur, sensor noise, JPEG at quality 30-95",
    "negatives": "replace `data.negatives` of every batch with frames holding no digit, labelled `none`",
}

# Augmentations by name, each from a paper the lectures cover.
AUGMENTATIONS = {
    "random_crop": "AlexNet: random image_size crop of the short-side resize (224 of 256)",
    "central_square": "AlexNet's paper: crop the short-side resize to its central short_side square first",
    "pad_crop": "CIFAR: pad `pad` px of zeros on each side, then a random image_size crop",
    "flip": "horizontal mirror with probability 0.5",
    "pca_colour": "AlexNet: add eigvecs @ (alpha * eigvals) to every pixel, alpha ~ N(0, pca_std)",
    "scale_jitter": "VGG: short side S ~ U[scale_min, scale_max], then a random image_size crop",
    "inception_crop": "GoogLeNet: area_min..area_max of the area, aspect aspect_min..aspect_max, resized",
    **CAMERA_STEPS,  # a phone camera (cnnapp.data.camera): real digits made into photos, and negatives
}
# What the network sees first: the image as it is, or the ink front (cnnapp.data.camera.front).
FRONTS = ("none", "camera")

# At most one of these decides the geometry of a training example.
CROPS = ("random_crop", "pad_crop", "scale_jitter", "inception_crop")

CACHE_MODES = ("auto", "memory", "none")


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """The input pipeline of one recipe.

    Attributes:
        image_size: the network's input height and width (square), e.g. 32 for LeNet-5, 224 for AlexNet.
        channels: the network's input channels, 1 (grey) or 3 (RGB); images are converted as needed.
        resize: "stretch" resizes the whole image to image_size (UCI digits 8×8 → 32×32); "pad" resizes the
            long side to image_size, keeping the aspect ratio, and centres it on a black square (keras's
            `pad_to_aspect_ratio`: small images are scaled up, 8×8 digits fill 32×32); "centre" puts the image
            unscaled in the middle of a black image_size canvas, cropping the centre if larger (LeNet-5:
            MNIST 28×28 in 32×32);
            "short_side" resizes the short side to `short_side`, keeping the aspect, then crops image_size
            (centre crop for evaluation, `random_crop` for training).
        short_side: the short side for resize = "short_side"; 0 means round(image_size * 256 / 224) (256 for
            224, AlexNet and VGG's single-scale evaluation).
        augment: augmentation names, applied to training examples only (see AUGMENTATIONS).
        pad: pad_crop's padding in pixels (4 in the ResNet CIFAR setup, 2 in the ConvNetJS demo).
        scale_min: scale_jitter's smallest short side S (VGG: 256).
        scale_max: scale_jitter's largest short side S (VGG: 512).
        area_min: inception_crop's smallest crop area as a fraction of the image (GoogLeNet: 0.08).
        area_max: inception_crop's largest crop area fraction (1.0).
        aspect_min: inception_crop's smallest aspect ratio w/h (3/4).
        aspect_max: inception_crop's largest aspect ratio w/h (4/3).
        pca_std: standard deviation of pca_colour's alpha (AlexNet: 0.1).
        pca_eigvals: eigenvalues of the training set's RGB covariance (pixel units²); empty = computed from
            the training split by `training_pipeline` (on up to `stats_examples` images).
        pca_eigvecs: the matching eigenvectors as rows of 3 (3 rows), empty = computed with the eigenvalues.
        stats_examples: how many training images `channel_stats` and the PCA use when computing statistics.
        shuffle_buffer: examples shuffled together when a split streams (does not fit in memory); splits kept
            in memory are fully permuted every epoch. The window is also capped so that two windows of
            input-size examples fit in `cache_mb`.
        cache: "memory" caches the decoded, resized examples before augmentation; "none" never caches;
            "auto" caches when the split is known to fit in `cache_mb` megabytes.
        front: "camera" puts the ink front (grey, ink bright on black whatever the paper, full contrast) in
            front of the network, in both pipelines and in the exported model, which then takes any RGB
            frame; "none" gives the network the image as it is. The camera steps need it.
        negatives: the share of every training batch that the `negatives` step replaces with frames holding
            no digit.
        none_label: the label of those frames: the dataset's class `none` (mnist4k: 10, its last class).
        cache_mb: the pipeline's memory budget in megabytes of float32 pixels: the "auto" cache's limit, and
            the streaming shuffle's (two windows).
    """

    image_size: int = 32
    channels: int = 1
    resize: str = "stretch"
    short_side: int = 0
    augment: tuple[str, ...] = ()
    pad: int = 4
    scale_min: int = 256
    scale_max: int = 512
    area_min: float = 0.08
    area_max: float = 1.0
    aspect_min: float = 3 / 4
    aspect_max: float = 4 / 3
    pca_std: float = 0.1
    pca_eigvals: tuple[float, ...] = ()
    pca_eigvecs: tuple[tuple[float, ...], ...] = ()
    stats_examples: int = 10_000
    shuffle_buffer: int = 60_000
    cache: str = "auto"
    cache_mb: int = 2048
    front: str = "none"
    negatives: float = 0.2
    none_label: int = 10

    def __post_init__(self):
        # TOML gives lists; freeze them so the config stays hashable and immutable.
        object.__setattr__(self, "augment", tuple(self.augment))
        object.__setattr__(self, "pca_eigvals", tuple(float(v) for v in self.pca_eigvals))
        eigvecs = tuple(tuple(float(v) for v in row) for row in self.pca_eigvecs)
        object.__setattr__(self, "pca_eigvecs", eigvecs)
        self._validate()

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """The network's input (H, W, C)."""
        return (self.image_size, self.image_size, self.channels)

    @property
    def resize_short_side(self) -> int:
        """The short side used by resize = "short_side" and the 10-crop test."""
        return self.short_side or round(self.image_size * 256 / 224)

    def _validate(self) -> None:
        if self.image_size < 1:
            raise CnnappError(f"data.image_size must be positive, got {self.image_size}")
        if self.channels not in (1, 3):
            raise CnnappError(f"data.channels must be 1 or 3, got {self.channels}")
        if self.resize not in RESIZE_MODES:
            raise unknown("resize mode", self.resize, RESIZE_MODES)
        if self.cache not in CACHE_MODES:
            raise unknown("cache mode", self.cache, CACHE_MODES)
        for name in self.augment:
            if name not in AUGMENTATIONS:
                raise unknown("augmentation", name, AUGMENTATIONS)
        if self.front not in FRONTS:
            raise unknown("front", self.front, FRONTS)
        camera = [name for name in self.augment if name in CAMERA_STEPS]
        if camera and (self.front != "camera" or self.channels != 1):
            raise CnnappError(
                f"the camera steps {camera} make photos for the ink front; set data.front = 'camera' and "
                "data.channels = 1"
            )
        if not 0 <= self.negatives < 1:
            raise CnnappError(f"data.negatives is a share of each batch, in [0, 1); got {self.negatives}")
        crops = [name for name in self.augment if name in CROPS]
        if len(crops) > 1:
            raise CnnappError(f"data.augment has several crops {crops}; keep one of them")
        if "random_crop" in self.augment and self.resize != "short_side":
            raise CnnappError(
                "augmentation random_crop crops from the short-side resize; set data.resize = 'short_side'"
            )
        if "central_square" in self.augment and self.resize != "short_side":
            raise CnnappError(
                "augmentation central_square cuts the short-side resize's central square; set "
                "data.resize = 'short_side'"
            )
        if self.resize == "short_side" and self.resize_short_side < self.image_size:
            raise CnnappError(
                f"data.short_side {self.short_side} is smaller than data.image_size "
                f"{self.image_size}; make it at least the image size"
            )
        if "pca_colour" in self.augment and self.channels != 3:
            raise CnnappError("augmentation pca_colour needs RGB input; set data.channels = 3 or drop it")
        if "scale_jitter" in self.augment and not self.image_size <= self.scale_min <= self.scale_max:
            raise CnnappError(
                f"data.scale_min..scale_max ({self.scale_min}..{self.scale_max}) must be an "
                f"increasing range of short sides no smaller than image_size {self.image_size}"
            )
        if not 0 < self.area_min <= self.area_max <= 1:
            raise CnnappError(f"data.area_min..area_max ({self.area_min}..{self.area_max}) must be in (0, 1]")
        if not 0 < self.aspect_min <= self.aspect_max:
            raise CnnappError(
                f"data.aspect_min..aspect_max ({self.aspect_min}..{self.aspect_max}) must be "
                "an increasing range of positive ratios"
            )
        if self.pad < 0 or self.pca_std < 0 or self.shuffle_buffer < 1 or self.stats_examples < 1:
            raise CnnappError(
                "data.pad and data.pca_std must be ≥ 0, data.shuffle_buffer and data.stats_examples ≥ 1"
            )
        if bool(self.pca_eigvals) != bool(self.pca_eigvecs) or (
            self.pca_eigvals and (len(self.pca_eigvals) != 3 or [len(r) for r in self.pca_eigvecs] != [3] * 3)
        ):
            raise CnnappError(
                "data.pca_eigvals (3 numbers) and data.pca_eigvecs (3 rows of 3) go together; "
                "give both or neither"
            )


@dataclasses.dataclass(frozen=True)
class BatchAugmentSection:
    """[batch_augment]: augmentations of whole training batches after the pipeline, on Keras's layers.

    Applied in this order (timm's and torchvision's): RandAugment or AugMix, random erasing, then MixUp or
    CutMix. Every one is off by default (the papers' recipes have none) and seeded by (train.seed, step), so
    a resumed run sees the same batches (`cnnapp.data.mixing`).

    Attributes:
        randaugment_ops: RandAugment (Cubuk et al. 2020, `keras.layers.RandAugment`): this many operations
            per batch, drawn from Keras's 11 (0 = off).
        randaugment_factor: their strength in [0, 1] (Keras's `factor`; 0.5 ≈ magnitude 15 of 30).
        augmix: AugMix (Hendrycks et al. 2020, `keras.layers.AugMix`) instead of RandAugment.
        augmix_factor: the strength of AugMix's operations in [0, 1] (Keras's `factor`, 0.3 by default: a
            rotation of up to ±108°, which turns a 6 into a 9 before the blend with the image softens it).
        random_erasing: the probability of erasing a random rectangle of an image with noise (Zhong et al.
            2020, `keras.layers.RandomErasing`); 0 = off.
        mixup_alpha: MixUp (Zhang et al. 2018, `keras.layers.MixUp`): blend each image with another of the
            batch, λ ~ Beta(α, α), labels likewise; 0 = off.
        cutmix_alpha: CutMix (Yun et al. 2019, `keras.layers.CutMix`): paste a box of another image,
            labels weighted by its area; 0 = off.
        mix_switch: with both MixUp and CutMix on, the probability that a batch gets CutMix (timm's 0.5).
    """

    randaugment_ops: int = 0
    randaugment_factor: float = 0.5
    augmix: bool = False
    augmix_factor: float = 0.3
    random_erasing: float = 0.0
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    mix_switch: float = 0.5

    def __post_init__(self):
        if self.randaugment_ops < 0 or not 0 <= self.randaugment_factor <= 1:
            raise CnnappError(
                "batch_augment.randaugment_ops must be ≥ 0 and randaugment_factor in [0, 1]; got "
                f"{self.randaugment_ops} and {self.randaugment_factor}"
            )
        if not 0 < self.augmix_factor <= 1:
            raise CnnappError(f"batch_augment.augmix_factor must be in (0, 1]; got {self.augmix_factor}")
        if self.augmix and self.randaugment_ops:
            raise CnnappError("batch_augment: choose RandAugment or AugMix, not both")
        if not (0 <= self.random_erasing <= 1 and 0 <= self.mix_switch <= 1):
            raise CnnappError("batch_augment.random_erasing and mix_switch are probabilities in [0, 1]")
        if self.mixup_alpha < 0 or self.cutmix_alpha < 0:
            raise CnnappError("batch_augment.mixup_alpha and cutmix_alpha must be ≥ 0 (0 = off)")

    @property
    def mixes(self) -> bool:
        """Whether labels become soft (MixUp or CutMix): the loss and metrics then take class weights."""
        return self.mixup_alpha > 0 or self.cutmix_alpha > 0

    @property
    def active(self) -> bool:
        return bool(self.randaugment_ops or self.augmix or self.random_erasing or self.mixes)
