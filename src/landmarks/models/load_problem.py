"""Why ``torch.load(weights_only=True)`` or safetensors refused a file, in a few words for one line.

Torch's own messages run to several lines and mostly advise on ``weights_only``; a user needs to know
whether the file is cut short, is not a torch file at all, or holds Python objects that the safe
loader refuses (loading them could run code).
"""

from __future__ import annotations

MAX_DETAIL = 160  # characters of the library's own first line kept as detail


def load_problem(error: BaseException) -> str:
    """A one-line reason for a failed load of a weights or checkpoint file."""
    text = str(error)
    if "Unsupported global" in text or "Unsupported class" in text:
        detail = text.split("Unsupported ", 1)[1].splitlines()[0]
        return (f"holds Python objects other than tensors (refused: loading them could run code; "
                f"{detail[:MAX_DETAIL]})")
    if "WeightsUnpickler error" in text or "invalid load key" in text:
        return "not a torch file, or corrupt"
    if isinstance(error, EOFError) or "central directory" in text or "truncated" in text.lower():
        return "empty or cut short"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"{error.__class__.__name__}: {first[:MAX_DETAIL]}" if first else error.__class__.__name__
