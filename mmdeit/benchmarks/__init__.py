"""Measuring speed: timing rounds against a peer, the matmul peak of the
machine, FLOP counts and operator profiles. The benchmark scripts in
tools/analysis_tools/ are thin scripts over this package."""
