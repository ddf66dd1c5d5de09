// Device buffers, and the staged copies that fill and read them.
#include "cuda_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace plinth::cuda {
namespace {

bool in_range(const plinth_buffer_s* b, uint64_t offset, uint64_t size) {
    return offset <= b->size && size <= b->size - offset;
}

// host -> staging -> device, half the staging buffer a piece: while one piece is on its way to
// the device the next is copied into the other half (each half's event says when its copy has
// left it). The stream is idle before (every graph and copy waits for its work) and after.
plinth_status staged_upload(device& dev, char* device_ptr, const char* host, uint64_t size, plinth_message* err) {
    const uint64_t half = staging_bytes / 2;
    cudaError_t e = cudaSuccess;
    uint64_t k = 0;
    for (uint64_t done = 0; done < size && e == cudaSuccess; ++k) {
        const uint64_t piece = std::min(size - done, half);
        char* stage = static_cast<char*>(dev.staging) + (k & 1) * half;
        if (k >= 2 && (e = cudaEventSynchronize(dev.staging_free[k & 1])) != cudaSuccess) break;
        std::memcpy(stage, host + done, piece);
        if ((e = cudaMemcpyAsync(device_ptr + done, stage, piece, cudaMemcpyHostToDevice, dev.stream)) != cudaSuccess) break;
        e = cudaEventRecord(dev.staging_free[k & 1], dev.stream);
        done += piece;
    }
    const cudaError_t waited = cudaStreamSynchronize(dev.stream);  // also after a failure: staging is idle again
    if (e == cudaSuccess) e = waited;
    return e == cudaSuccess ? PLINTH_OK : cuda_fail(err, e, "upload (staged copy)");
}

// device -> staging -> host, the same way round: piece k + 1 is on its way into one half while
// piece k is copied out of the other.
plinth_status staged_download(device& dev, const char* device_ptr, char* host, uint64_t size, plinth_message* err) {
    const uint64_t half = staging_bytes / 2;
    const uint64_t pieces = (size + half - 1) / half;
    auto start = [&](uint64_t k) {
        const uint64_t piece = std::min(size - k * half, half);
        char* stage = static_cast<char*>(dev.staging) + (k & 1) * half;
        cudaError_t r = cudaMemcpyAsync(stage, device_ptr + k * half, piece, cudaMemcpyDeviceToHost, dev.stream);
        return r == cudaSuccess ? cudaEventRecord(dev.staging_free[k & 1], dev.stream) : r;
    };
    cudaError_t e = pieces > 0 ? start(0) : cudaSuccess;
    for (uint64_t k = 0; k < pieces && e == cudaSuccess; ++k) {
        // The other half held piece k - 1, copied out in the previous round.
        if (k + 1 < pieces && (e = start(k + 1)) != cudaSuccess) break;
        if ((e = cudaEventSynchronize(dev.staging_free[k & 1])) != cudaSuccess) break;
        std::memcpy(host + k * half, static_cast<const char*>(dev.staging) + (k & 1) * half, std::min(size - k * half, half));
    }
    const cudaError_t waited = cudaStreamSynchronize(dev.stream);
    if (e == cudaSuccess) e = waited;
    return e == cudaSuccess ? PLINTH_OK : cuda_fail(err, e, "download (staged copy)");
}

// The buffer's device, current on this thread.
plinth_status buffer_device(const plinth_buffer_s* b, device** out, plinth_message* err) {
    return get_device(b->dev->index, out, err);
}

}  // namespace

plinth_status buffer_alloc(uint32_t index, uint64_t size, plinth_buffer* out, plinth_message* err) {
    if (!out) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "buffer_alloc: out is NULL");
    *out = nullptr;
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    device* dev = nullptr;
    plinth_status st = get_device(index, &dev, err);
    if (st != PLINTH_OK) return st;
    if (size > (uint64_t(1) << 48))
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes", (unsigned long long)size);
    auto* b = new (std::nothrow) plinth_buffer_s{dev, nullptr, size, c.next_buffer_id++, 0};
    if (!b) return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate a buffer handle");
    // At least 256 bytes, so that an empty buffer still has an address of its own.
    const cudaError_t e = cudaMalloc(&b->ptr, std::max<uint64_t>(size, 256));
    if (e != cudaSuccess) {
        cudaGetLastError();  // not sticky: clear it
        delete b;
        if (e == cudaErrorMemoryAllocation)
            return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes of device memory on %s",
                        (unsigned long long)size, dev->props.name.c_str());
        return cuda_fail(err, e, "cudaMalloc");
    }
    try {
        dev->buffers.push_back(b);
    } catch (...) {
        cudaFree(b->ptr);
        delete b;
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "out of memory");
    }
    *out = b;
    return PLINTH_OK;
}

void buffer_free(plinth_buffer b) {
    if (!b) return;
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (!b->dev) {  // its device was torn down already (release_all_buffers): only the handle is left
        delete b;
        return;
    }
    device& dev = *b->dev;
    auto it = std::find(dev.buffers.begin(), dev.buffers.end(), b);
    if (it != dev.buffers.end()) dev.buffers.erase(it);
    cudaSetDevice(dev.props.ordinal);
    cudaFree(b->ptr);  // synchronises with the device's work
    delete b;
}

uint64_t buffer_size(plinth_buffer b) { return b ? b->size : 0; }

void* buffer_host_ptr(plinth_buffer) { return nullptr; }

plinth_status buffer_upload(plinth_buffer b, uint64_t offset, const void* src, uint64_t size, plinth_message* err) {
    if (!b || !b->dev || !in_range(b, offset, size))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "upload of %llu bytes at offset %llu is out of range",
                    (unsigned long long)size, (unsigned long long)offset);
    if (size == 0) return PLINTH_OK;
    if (!src) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "upload from a NULL pointer");
    std::lock_guard<std::mutex> lock(ctx().mutex);
    device* dev = nullptr;
    plinth_status st = buffer_device(b, &dev, err);
    if (st != PLINTH_OK) return st;
    ++b->version;
    return staged_upload(*dev, static_cast<char*>(b->ptr) + offset, static_cast<const char*>(src), size, err);
}

plinth_status buffer_download(plinth_buffer b, uint64_t offset, void* dst, uint64_t size, plinth_message* err) {
    if (!b || !b->dev || !in_range(b, offset, size))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "download of %llu bytes at offset %llu is out of range",
                    (unsigned long long)size, (unsigned long long)offset);
    if (size == 0) return PLINTH_OK;
    if (!dst) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "download to a NULL pointer");
    std::lock_guard<std::mutex> lock(ctx().mutex);
    device* dev = nullptr;
    plinth_status st = buffer_device(b, &dev, err);
    if (st != PLINTH_OK) return st;
    return read_buffer(b, offset, dst, size, err);
}

plinth_status read_buffer(const plinth_buffer_s* b, uint64_t offset, void* dst, uint64_t size, plinth_message* err) {
    return staged_download(*b->dev, static_cast<const char*>(b->ptr) + offset, static_cast<char*>(dst), size, err);
}

void release_all_buffers(device& dev) {
    for (plinth_buffer_s* b : dev.buffers) {
        cudaFree(b->ptr);
        // The handle itself stays allocated (the host may still hold it); buffer_free then deletes it.
        b->ptr = nullptr;
        b->dev = nullptr;
    }
    dev.buffers.clear();
}

}  // namespace plinth::cuda
