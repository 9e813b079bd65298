"""``tinygrad_lite.nn.functional`` (import as ``F``): stateless layer functions, PyTorch's names.

Each submodule holds one family; this package re-exports them all.
"""

from tinygrad_lite.nn.functional.activations import (
    celu,
    elu,
    gelu,
    glu,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
    tanhshrink,
)
from tinygrad_lite.nn.functional.activations_piecewise import (
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    relu6,
    softshrink,
    threshold,
)
from tinygrad_lite.nn.functional.classification_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    kl_div,
    nll_loss,
)
from tinygrad_lite.nn.functional.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from tinygrad_lite.nn.functional.distance import cosine_similarity, pairwise_distance
from tinygrad_lite.nn.functional.embedding import embedding
from tinygrad_lite.nn.functional.fold import fold, unfold
from tinygrad_lite.nn.functional.layers import (
    batch_norm,
    dropout,
    dropout2d,
    layer_norm,
    linear,
    one_hot,
)
from tinygrad_lite.nn.functional.likelihood_losses import gaussian_nll_loss, poisson_nll_loss
from tinygrad_lite.nn.functional.losses import (
    hinge_embedding_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from tinygrad_lite.nn.functional.normalization import group_norm, instance_norm
from tinygrad_lite.nn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from tinygrad_lite.nn.functional.ranking_losses import (
    cosine_embedding_loss,
    margin_ranking_loss,
    triplet_margin_loss,
)
from tinygrad_lite.nn.functional.upsampling import interpolate, pixel_shuffle, pixel_unshuffle
from tinygrad_lite.ops.padding import pad
from tinygrad_lite.ops.vector_norm import normalize

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
    "interpolate",
    "pixel_shuffle",
    "pixel_unshuffle",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "linear",
    "dropout",
    "batch_norm",
    "layer_norm",
    "one_hot",
    "pad",
    "normalize",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "hinge_embedding_loss",
    "multi_margin_loss",
    "soft_margin_loss",
    # issue 13, items 4 and 6
    "relu6",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "mish",
    "celu",
    "selu",
    "softsign",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "threshold",
    "logsigmoid",
    "glu",
    "embedding",
    "group_norm",
    "instance_norm",
    "dropout2d",
    "cosine_similarity",
    "pairwise_distance",
    "triplet_margin_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
]
