"""GPU paths that need no GPU to be right: pure, unit-tested on any machine.

ep_options   the CUDA / TensorRT option catalogue and its validation
libs         preloading pip-installed CUDA/cuDNN/TensorRT libraries; fix hints for load failures
tensorrt     engine and timing caches, optimization profiles from input shapes
cuda_graphs  why a CUDA graph cannot be captured, said before ORT fails
"""
