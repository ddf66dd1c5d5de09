// Llama (Llama 2/3, Mistral, TinyLlama, SmolLM shapes; Mixtral-style experts when the file has
// expert_count): the plain pre-norm decoder with rope on adjacent pairs, as Llama GGUF files store
// q and k, and Llama 3's rope frequency factors when the file has `rope_freqs.weight`.
#include "pre_norm_decoder.hpp"

namespace plinth::arch {

std::unique_ptr<architecture> load_llama(const model_file& f) { return std::make_unique<pre_norm_decoder>(f, pre_norm_options{}); }

}  // namespace plinth::arch
