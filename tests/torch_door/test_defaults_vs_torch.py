"""Every argument default of the PyTorch door equals the real library's (inspect.signature of
torch 2.13): optimisers, schedulers, modules, losses, functional, init, DataLoader, creation."""

import inspect

import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim
import chainrule.utils.data as data

PAIRS = [
    *[(getattr(optim, n), getattr(torch.optim, n)) for n in
      ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam")],
    *[(getattr(optim.lr_scheduler, n), getattr(torch.optim.lr_scheduler, n)) for n in
      ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau",
       "OneCycleLR", "LambdaLR", "LinearLR")],
    *[(getattr(nn, n), getattr(torch.nn, n)) for n in
      ("Linear", "Identity", "Flatten", "Unflatten", "Dropout", "BatchNorm1d", "BatchNorm2d",
       "LayerNorm", "ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
       "GELU", "SiLU", "ELU", "SELU", "Softplus", "Hardtanh", "Mish", "CrossEntropyLoss",
       "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss",
       "HuberLoss", "KLDivLoss", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "PReLU",
       "CELU", "GLU", "CosineSimilarity", "PairwiseDistance")],
    *[(getattr(F, n), getattr(torch.nn.functional, n)) for n in
      ("relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "hardtanh", "softmax",
       "log_softmax", "dropout", "linear", "one_hot", "normalize", "cross_entropy", "nll_loss",
       "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
       "smooth_l1_loss", "huber_loss", "kl_div", "batch_norm", "layer_norm", "group_norm",
       "instance_norm", "celu", "glu", "prelu", "cosine_similarity", "pairwise_distance")],
    *[(getattr(nn.init, n), getattr(torch.nn.init, n)) for n in
      ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "uniform_",
       "normal_", "constant_", "orthogonal_", "trunc_normal_", "calculate_gain")],
    (data.DataLoader, torch.utils.data.DataLoader),
    (data.RandomSampler, torch.utils.data.RandomSampler),
    (data.random_split, torch.utils.data.random_split),
    (cr.autograd.gradcheck, torch.autograd.gradcheck),
]  # fmt: skip

#: arguments PyTorch has that chainrule leaves out on purpose (docs/migrating.md says why)
OMITTED = {"generator", "out", "layout", "pin_memory", "memory_format", "check_sparse_nnz",
           "nondet_tol", "check_undefined_grad", "check_grad_dtypes", "check_batched_grad",
           "check_batched_forward_grad", "check_forward_ad", "check_backward_ad", "fast_mode",
           "masked", "cycle_momentum_legacy"}  # fmt: skip


def _defaults(fn) -> dict:
    try:
        params = inspect.signature(fn).parameters
    except ValueError:  # a C builtin (torch's F.gelu, F.linear …): see the docstring's table
        pytest.skip(f"{fn.__name__} has no Python signature in torch")
    return {k: p.default for k, p in params.items()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}  # fmt: skip


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=[t.__name__ for _, t in PAIRS])
def test_every_torch_argument_exists_with_the_same_default(ours, theirs):
    mine, ref = _defaults(ours), _defaults(theirs)
    for name, default in ref.items():
        if name in OMITTED and name not in mine:
            continue
        assert name in mine, f"{theirs.__name__}: argument {name!r} is missing"
        if isinstance(default, torch.Generator):  # torch's default generator: ours is None,
            assert mine[name] is None  # meaning chainrule's one generator
        elif default is inspect.Parameter.empty and name == "params" and mine[name] is None:
            pass  # optimisers may be built without parameters, for Model.compile to attach them
        elif default is inspect.Parameter.empty:
            assert mine[name] is inspect.Parameter.empty, f"{name} should be required"
        else:
            assert mine[name] == default and type(mine[name]) in (type(default), float, int), (
                f"{theirs.__name__}({name}=...): ours {mine[name]!r}, torch {default!r}"
            )
    positional = [k for k, p in inspect.signature(theirs).parameters.items()
                  if p.kind is p.POSITIONAL_OR_KEYWORD]  # fmt: skip
    ours_pos = [k for k, p in inspect.signature(ours).parameters.items()
                if p.kind is p.POSITIONAL_OR_KEYWORD]  # fmt: skip
    assert [k for k in positional if k in ours_pos] == ours_pos[: len(
        [k for k in positional if k in ours_pos])], "positional order differs"  # fmt: skip
