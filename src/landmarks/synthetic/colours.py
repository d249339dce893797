"""Random colours shared by the synthetic generators: uniform colours, jittered colours, skin tones.

Convention:
    Colours are RGB triples of Python floats in ``[0, 255]``; randomness comes from the ``rng`` given,
    one ``rng.uniform`` call per colour (so a generator's draws stay in the same order).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Colour = tuple[float, float, float]
SKIN_JITTER = 12  # grey levels either way, per channel, around the interpolated tone


def random_colour(rng: np.random.Generator, low: float = 0, high: float = 255) -> Colour:
    """A colour uniform in ``[low, high)`` per channel."""
    return tuple(float(c) for c in rng.uniform(low, high, size=3))


def jitter(rng: np.random.Generator, colour, amount: float) -> Colour:
    """``colour`` moved by up to ``amount`` either way per channel, clipped to ``[0, 255]``."""
    return tuple(float(c) for c in np.clip(np.asarray(colour) + rng.uniform(-amount, amount, 3), 0, 255))


def skin_tone(rng: np.random.Generator, tones: Sequence[Colour]) -> Colour:
    """A random point between two neighbouring ``tones`` (light to dark), jittered by :data:`SKIN_JITTER`."""
    position = rng.uniform(0, len(tones) - 1)
    low = int(position)
    high = min(low + 1, len(tones) - 1)
    tone = (1 - (position - low)) * np.array(tones[low]) + (position - low) * np.array(tones[high])
    return jitter(rng, tuple(tone), SKIN_JITTER)
