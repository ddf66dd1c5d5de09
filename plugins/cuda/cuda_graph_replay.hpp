#pragma once
// A graph's kernels launched as one CUDA graph instead of one by one: the work is captured from the
// device's stream, the executable graph kept from an earlier capture of the same shape is updated
// in place (new arguments, same kernels), or instantiated when there is none or the update is
// refused, and launched. A decode step is a few hundred small kernels; one graph launch takes the
// gaps between them away. Where capture does not work the work is enqueued directly (and capture is
// not tried again on that device).
#include "cuda_device.hpp"

#include <functional>

namespace plinth::cuda {

// `enqueue` puts the graph's work on dev.stream; `shape` tells graphs apart (the node count and the
// ops in order). Returns once the work is enqueued; the caller waits for the stream.
plinth_status replay_as_graph(device& dev, uint64_t shape, const std::function<plinth_status()>& enqueue, plinth_message* err);

// Frees the device's executable graphs (at shutdown).
void release_graphs(device& dev);

}  // namespace plinth::cuda
