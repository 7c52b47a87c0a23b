"""Compile the lab's fused kernels with NVRTC, no GPU needed: a body that is
not valid CUDA C++ shows up before a GPU machine is lent.

Usage: python tools/compile_kernels.py [ARCH]     (default compute_90, an H100/H200)

Needs CuPy and NVRTC, not a GPU (for instance ``pip install cupy-cuda12x
nvidia-cuda-nvrtc-cu12`` in a scratch environment).  Each ``Kernel`` of
``gan.nn`` (the optimisers', the weight average's, the activations', the BCE
loss's and batch norm's) is compiled for float and double, with
``--fmad=false`` and the preamble as the lab compiles it, inside a kernel
shaped like CuPy's elementwise kernels: the read arrays as ``const T``, the
written ones as ``T&`` to the element, the scalars as declared.  Prints one
line per kernel and dtype; exits 1 if one fails.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan.nn import average, layers, losses, normalization, optim  # noqa: E402
from gan.nn.kernel import PREAMBLE, Kernel  # noqa: E402

MODULES = (optim, average, layers, losses, normalization)  # where the lab's kernels are defined

C_TYPES = {"float32": "float", "float64": "double"}


def source(kernel: Kernel, c_type: str) -> str:
    """CUDA C++ of ``kernel`` with T = ``c_type``."""
    args = ([f"const T* _{name}" for name in kernel.read]
            + [f"{'T' if kind == 'T' else C_TYPES[kind]} {name}" for name, kind in kernel.scalar_kinds.items()]
            + [f"T* _{name}" for name in kernel.written] + ["int _n"])
    elements = ([f"const T {name} = _{name}[_i];" for name in kernel.read]
                + [f"T& {name} = _{name}[_i];" for name in kernel.written])
    return (f"typedef {c_type} T;\n{PREAMBLE}"
            f"extern \"C\" __global__ void gan_{kernel.name}({', '.join(args)}) {{\n"
            f"  int _i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (_i >= _n) return;\n"
            f"  {' '.join(elements)}\n  {kernel.body}\n}}\n")


def main() -> int:
    from cupy_backends.cuda.libs import nvrtc

    arch = sys.argv[1] if len(sys.argv) > 1 else "compute_90"
    kernels = [value for module in MODULES for value in vars(module).values() if isinstance(value, Kernel)]
    failed = 0
    for kernel in kernels:
        for c_type in ("float", "double"):
            program = nvrtc.createProgram(source(kernel, c_type), f"{kernel.name}.cu", [], [])
            try:
                nvrtc.compileProgram(program, [f"-arch={arch}", "--fmad=false"])
                print(f"{kernel.name} ({c_type}): {len(nvrtc.getPTX(program))} bytes of PTX for {arch}")
            except nvrtc.NVRTCError:
                failed += 1
                print(f"{kernel.name} ({c_type}): FAILED\n{nvrtc.getProgramLog(program)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
