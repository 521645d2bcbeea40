"""The error a drawing raises when it cannot draw what it was given."""
from ..errors import D2LCNNError


class DiagramError(D2LCNNError, ValueError):
    """A network, block, input shape or option that cannot be drawn; the message says why and
    what to do."""
