"""Evaluating learned landmarks against annotated ones (paper, sec. 4).

``annotations`` reads and writes the CSV format, ``extract`` runs a frozen detector over images,
``regression`` fits the linear map, ``metrics`` holds the pure metrics, ``protocol`` runs the whole
protocol, ``report`` writes it to a folder. ``health`` holds the label-free numbers that say whether
training works (equivariance, spread, coverage, border share; logged during ``fit``).
"""
