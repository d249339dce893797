"""Self-supervised loss networks: a VGG trained to colourise gray images (``landmarks pretrain-lossnet``).

NOTE(paper): the paper's "selfsup" loss network is Larsson et al. 2017's colourisation VGG-16; this
package trains a VGG-16 or VGG-19 on the same pretext task and saves it as a torchvision-format VGG
that :mod:`landmarks.models.loss_networks` loads. See docs/lossnet.md for the design.
"""
