"""Is mixed precision worth it on this CPU? Times a 1024x1024 matmul in fp32 and bf16 (and fp16) in one run.

    python benchmarks/matmul_dtypes.py

Prints GFLOP/s per dtype and the ratio to fp32. On CPUs without bf16 units (AVX512-BF16/AMX) bf16 is SLOWER than
fp32, which is why the course's `fine_tune(mixed_precision="auto")` runs a small version of this probe first
(`course_utils.training.resolve_mixed_precision`) and enables bf16 on a CPU only where it measures faster.
"""
import time

import torch


def gflops(dtype: torch.dtype, n: int = 1024, repeats: int = 20) -> float:
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    for _ in range(3):  # warm-up
        a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    seconds = (time.perf_counter() - start) / repeats
    return 2 * n**3 / seconds / 1e9


if __name__ == "__main__":
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    base = gflops(torch.float32)
    print(f"float32  : {base:7.1f} GFLOP/s  (1.00x)")
    for dtype in (torch.bfloat16, torch.float16):
        g = gflops(dtype, repeats=5)
        print(f"{str(dtype).split('.')[-1]:9}: {g:7.1f} GFLOP/s  ({g / base:.2f}x of float32)")
