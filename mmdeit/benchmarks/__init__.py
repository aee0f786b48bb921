"""Measuring speed: timing rounds against a peer, the matmul peak of the
machine, FLOP counts and operator profiles. The benchmark scripts in
tools/analysis_tools/ are thin scripts over this package.

- :mod:`.hardware`: CPU flags, load, linear shapes, the matmul peak;
- :mod:`.flops`: FLOPs of a run (CPU attention and oneDNN linear included);
- :mod:`.profiling`: operators by self CPU time;
- :mod:`.timing`: alternating rounds and their table;
- :mod:`.inference`, :mod:`.training`: the model benchmarks against timm.
"""
