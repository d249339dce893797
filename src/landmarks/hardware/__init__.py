"""What the machine computes fast: bfloat16 or float32 (:mod:`.precision`), measured by a short probe
(:mod:`.probe`), and glibc's allocator kept from page-faulting every step (:mod:`.allocator`).

Knows nothing of models or training: ``landmarks fit`` and ``landmarks detect`` ask it at start-up.
"""
