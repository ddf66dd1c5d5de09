// Capture, update or instantiate, launch: see cuda_graph_replay.hpp.
#include "cuda_graph_replay.hpp"

#include <string>

namespace plinth::cuda {
namespace {

// The executable graph for `shape`: the one kept, else a free place (the oldest is dropped).
captured_graph& place_for(device& dev, uint64_t shape) {
    for (captured_graph& g : dev.graphs)
        if (g.exec && g.shape == shape) return g;
    captured_graph* oldest = &dev.graphs[0];
    for (captured_graph& g : dev.graphs) {
        if (!g.exec) return g;
        if (g.last_use < oldest->last_use) oldest = &g;
    }
    cudaGraphExecDestroy(oldest->exec);
    *oldest = captured_graph{};
    return *oldest;
}

plinth_status direct(device& dev, const std::function<plinth_status()>& enqueue, cudaError_t why, const char* step) {
    cudaGetLastError();
    dev.graphs_unavailable = true;
    log(PLINTH_LOG_WARN, std::string("CUDA graphs are not used on ") + dev.props.name + ": " + step + " failed (" +
                             cudaGetErrorName(why) + "); kernels are launched one by one");
    return enqueue();
}

}  // namespace

plinth_status replay_as_graph(device& dev, uint64_t shape, const std::function<plinth_status()>& enqueue, plinth_message* err) {
    if (dev.graphs_unavailable) return enqueue();
    cudaError_t e = cudaStreamBeginCapture(dev.stream, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) return direct(dev, enqueue, e, "cudaStreamBeginCapture");
    const plinth_status st = enqueue();
    cudaGraph_t graph = nullptr;
    e = cudaStreamEndCapture(dev.stream, &graph);
    if (st != PLINTH_OK) {  // nothing ran: a capture only records
        if (graph) cudaGraphDestroy(graph);
        cudaGetLastError();
        return st;
    }
    if (e != cudaSuccess) return direct(dev, enqueue, e, "cudaStreamEndCapture");

    captured_graph& g = place_for(dev, shape);
    if (g.exec) {
        cudaGraphExecUpdateResultInfo info{};
        if (cudaGraphExecUpdate(g.exec, graph, &info) != cudaSuccess) {  // another topology or kernel
            cudaGetLastError();
            cudaGraphExecDestroy(g.exec);
            g.exec = nullptr;
        }
    }
    if (!g.exec) {
        e = cudaGraphInstantiate(&g.exec, graph, 0);
        if (e != cudaSuccess) {
            g = captured_graph{};
            cudaGraphDestroy(graph);
            return direct(dev, enqueue, e, "cudaGraphInstantiate");
        }
        g.shape = shape;
    }
    cudaGraphDestroy(graph);
    g.last_use = ++dev.graph_uses;
    e = cudaGraphLaunch(g.exec, dev.stream);
    return e == cudaSuccess ? PLINTH_OK : cuda_fail(err, e, "cudaGraphLaunch");
}

void release_graphs(device& dev) {
    for (captured_graph& g : dev.graphs) {
        if (g.exec) cudaGraphExecDestroy(g.exec);
        g = captured_graph{};
    }
}

}  // namespace plinth::cuda
