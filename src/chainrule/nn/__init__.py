"""Neural-network building blocks: Module, Parameter, layers, initialisers, losses, regularisers."""

from .module import Module
from .parameter import Parameter
