"""``nn`` modules: the ``Module`` base, containers, and the layers built on it."""

from tinygrad_lite.nn.modules.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from tinygrad_lite.nn.modules.container import ModuleDict, ModuleList, Sequential
from tinygrad_lite.nn.modules.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from tinygrad_lite.nn.modules.dropout import Dropout
from tinygrad_lite.nn.modules.fold import Fold, Unfold
from tinygrad_lite.nn.modules.linear import Flatten, Identity, Linear
from tinygrad_lite.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
)
from tinygrad_lite.nn.modules.module import Module, Parameter
from tinygrad_lite.nn.modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from tinygrad_lite.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinygrad_lite.nn.modules.upsampling import (
    PixelShuffle,
    PixelUnshuffle,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Unfold",
    "Fold",
    "Upsample",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "PixelShuffle",
    "PixelUnshuffle",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "Linear",
    "Identity",
    "Flatten",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "HingeEmbeddingLoss",
    "MultiMarginLoss",
    "SoftMarginLoss",
]
