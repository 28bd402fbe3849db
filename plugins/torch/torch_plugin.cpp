// libtutorcore_torch: the TorchScript backend as a model plugin
// (tutorcore/classify/model_plugin.h). The only translation unit of
// tutorcore that includes torch headers. The core opens this library with
// dlopen when a model is loaded and calls it through the table that
// tc_torch_plugin_v2 returns; nothing else is exported.
//
// A model is a TorchScript module whose forward takes a float32 tensor
// [batch, feature_dim] and returns logits [batch, num_labels]. Its input
// kind is fixed when it is opened: answers (predict), featurized here into
// tc_hash_v1 vectors (featurize.hpp), or dense vectors the caller computes
// (predict_dense: the bias model's 15 features, raw; any standardisation
// lives in the module). Predictions are the softmax's best and runner-up
// labels. Inference runs under c10::InferenceMode on CUDA when torch
// reports a device (device "auto") and on the CPU otherwise; inputs are
// built on the CPU and copied over in one tensor per batch.
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <sys/stat.h>
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "featurize.hpp"
#include "tutorcore/classify/model_plugin.h"
#include "tutorcore/tutorcore.h"

namespace {

struct Model {
  torch::jit::Module module;
  torch::Device device = torch::kCPU;
  std::string device_name;
  uint32_t dim = 0;
  int32_t num_labels = 0;
  int32_t max_batch = 0;
  uint32_t input = TC_MODEL_INPUT_ANSWER;
};

int fail(int status, char *err, size_t err_len, const char *format, ...) {
  if (err && err_len > 0) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(err, err_len, format, args);
    va_end(args);
  }
  return status;
}

// The first line of a torch error (its backtrace left out).
std::string first_line(const std::exception &e) {
  const auto *c10e = dynamic_cast<const c10::Error *>(&e);
  std::string s = c10e ? c10e->what_without_backtrace() : e.what();
  size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

bool power_of_two(uint32_t n) {
  return n >= 2 && (n & (n - 1)) == 0;
}

tutorcore_torch::FeatureInput feature_input(const tc_model_input &in) {
  auto view = [](const tc_model_text &t) {
    return t.data ? std::string_view(t.data, t.len) : std::string_view();
  };
  return {view(in.answer), view(in.problem_text), view(in.correct_answer), view(in.concept_id)};
}

const char *input_name(uint32_t input) {
  return input == TC_MODEL_INPUT_DENSE ? "dense vectors" : "answers";
}

// Logits of one batch of answers.
torch::Tensor forward(Model &m, const tc_model_input *inputs, size_t count) {
  torch::Tensor x = torch::empty({static_cast<int64_t>(count), static_cast<int64_t>(m.dim)},
                                 torch::TensorOptions().dtype(torch::kFloat32));
  float *data = x.data_ptr<float>();
  for (size_t k = 0; k < count; ++k)
    tutorcore_torch::featurize(feature_input(inputs[k]), m.dim, data + k * m.dim);
  c10::InferenceMode guard;
  if (m.device != torch::kCPU) x = x.to(m.device);
  return m.module.forward({x}).toTensor();
}

// Logits of one batch of dense rows (count rows of m.dim floats).
torch::Tensor forward_dense(Model &m, const float *rows, size_t count) {
  torch::Tensor x = torch::empty({static_cast<int64_t>(count), static_cast<int64_t>(m.dim)},
                                 torch::TensorOptions().dtype(torch::kFloat32));
  std::copy(rows, rows + count * m.dim, x.data_ptr<float>());
  c10::InferenceMode guard;
  if (m.device != torch::kCPU) x = x.to(m.device);
  return m.module.forward({x}).toTensor();
}

// The softmax's best and runner-up of one batch's logits into out[0..count).
int outputs_of(const Model &m, const torch::Tensor &logits, size_t count, tc_model_output *out,
               char *err, size_t err_len) {
  if (logits.dim() != 2 || logits.size(0) != static_cast<int64_t>(count) ||
      logits.size(1) != m.num_labels) {
    return fail(TC_EINVAL, err, err_len, "predict: the model returned shape %s for %zu %s",
                c10::str(logits.sizes()).c_str(), count, input_name(m.input));
  }
  c10::InferenceMode guard;
  torch::Tensor p = torch::softmax(logits.to(torch::kFloat64), 1);
  auto top = p.topk(std::min<int64_t>(2, m.num_labels), 1);
  torch::Tensor values = std::get<0>(top).to(torch::kCPU).contiguous();
  torch::Tensor indices = std::get<1>(top).to(torch::kCPU).contiguous();
  const double *v = values.data_ptr<double>();
  const int64_t *ix = indices.data_ptr<int64_t>();
  const int64_t k = values.size(1);
  for (size_t r = 0; r < count; ++r) {
    tc_model_output &o = out[r];
    o.label = static_cast<int32_t>(ix[r * k]);
    o.confidence = v[r * k];
    o.second = k > 1 ? static_cast<int32_t>(ix[r * k + 1]) : -1;
    o.second_confidence = k > 1 ? v[r * k + 1] : 0.0;
  }
  return TC_OK;
}

int plugin_featurize(const tc_model_input *input, uint32_t dim, float *out, char *err,
                     size_t err_len) {
  if (!input || !out) return fail(TC_EINVAL, err, err_len, "featurize: input or out is NULL");
  if (!power_of_two(dim))
    return fail(TC_EINVAL, err, err_len, "featurize: dim %u is not a power of two", dim);
  try {
    tutorcore_torch::featurize(feature_input(*input), dim, out);
    return TC_OK;
  } catch (const std::bad_alloc &) {
    return fail(TC_ENOMEM, err, err_len, "featurize: out of memory");
  } catch (const std::exception &e) {
    return fail(TC_EINTERNAL, err, err_len, "featurize: %s", e.what());
  }
}

int plugin_open(void **out, const tc_model_open_options *o, char *err, size_t err_len) {
  if (!out || !o || !o->model) return fail(TC_EINVAL, err, err_len, "open: a NULL argument");
  *out = nullptr;
  if (o->version < 1 || o->version > TC_MODEL_OPEN_OPTIONS_VERSION) {
    return fail(TC_EINVAL, err, err_len, "open: options version %u, this plugin reads 1 to %d",
                o->version, TC_MODEL_OPEN_OPTIONS_VERSION);
  }
  const uint32_t input = o->version >= 2 ? o->input : TC_MODEL_INPUT_ANSWER;
  if (input == TC_MODEL_INPUT_ANSWER) {
    if (!power_of_two(o->feature_dim)) {
      return fail(TC_EINVAL, err, err_len, "featurizer.dim %u is not a power of two",
                  o->feature_dim);
    }
  } else if (input == TC_MODEL_INPUT_DENSE) {
    if (o->feature_dim < 1 || o->feature_dim > TC_MODEL_DENSE_MAX_DIM) {
      return fail(TC_EINVAL, err, err_len, "open: dense input of %u features (1 to %d)",
                  o->feature_dim, TC_MODEL_DENSE_MAX_DIM);
    }
  } else {
    return fail(TC_EINVAL, err, err_len, "open: input kind %u is not answers (%d) or dense (%d)",
                input, TC_MODEL_INPUT_ANSWER, TC_MODEL_INPUT_DENSE);
  }
  if (o->num_labels < 1 || o->max_batch < 1) {
    return fail(TC_EINVAL, err, err_len, "open: %d labels, max_batch %d (both must be >= 1)",
                o->num_labels, o->max_batch);
  }
  struct stat st;
  if (stat(o->model, &st) != 0 || !S_ISREG(st.st_mode))
    return fail(TC_ENOTFOUND, err, err_len, "model file '%s': not found", o->model);
  std::string want = o->device ? o->device : "auto";
  try {
    auto m = std::make_unique<Model>();
    bool cuda = torch::cuda::is_available();
    if (want == "cuda" && !cuda) {
      return fail(TC_EUNAVAILABLE, err, err_len,
                  "device \"cuda\": torch (libtorch %s) reports no CUDA device; use \"auto\" "
                  "or \"cpu\"",
                  TORCH_VERSION);
    }
    if (want != "auto" && want != "cpu" && want != "cuda") {
      return fail(TC_EINVAL, err, err_len, "device \"%s\": use \"auto\", \"cpu\" or \"cuda\"",
                  want.c_str());
    }
    m->device = (want == "cpu" || !cuda) ? torch::Device(torch::kCPU) : torch::Device("cuda:0");
    m->device_name = m->device.str();
    m->dim = o->feature_dim;
    m->num_labels = o->num_labels;
    m->max_batch = o->max_batch;
    m->input = input;
    try {
      m->module = torch::jit::load(o->model, m->device);
    } catch (const std::exception &e) {
      return fail(TC_EINVAL, err, err_len, "model file '%s': is not a TorchScript model: %s",
                  o->model, first_line(e).c_str());
    }
    m->module.eval();
    // The contract, checked once; the extra passes let the profiling
    // executor settle before the first real answer.
    for (int pass = 0; pass < 3; ++pass) {
      torch::Tensor y;
      try {
        c10::InferenceMode guard;
        y = m->module.forward({torch::zeros({1, static_cast<int64_t>(m->dim)}, m->device)})
                .toTensor();
      } catch (const std::exception &e) {
        return fail(TC_EINVAL, err, err_len,
                    "model file '%s': forward does not take a float32 [1, %u] tensor "
                    "(%s): %s",
                    o->model, m->dim,
                    input == TC_MODEL_INPUT_DENSE ? "the dense features" : "featurizer.dim",
                    first_line(e).c_str());
      }
      if (y.dim() != 2 || y.size(0) != 1 || y.size(1) != m->num_labels) {
        return fail(TC_EINVAL, err, err_len,
                    "model file '%s': forward returns shape %s for one %s; the label map "
                    "has %d labels, so [1, %d] was expected",
                    o->model, c10::str(y.sizes()).c_str(),
                    input == TC_MODEL_INPUT_DENSE ? "feature vector" : "answer", m->num_labels,
                    m->num_labels);
      }
    }
    *out = m.release();
    return TC_OK;
  } catch (const std::bad_alloc &) {
    return fail(TC_ENOMEM, err, err_len, "open: out of memory");
  } catch (const std::exception &e) {
    return fail(TC_EINTERNAL, err, err_len, "open '%s': %s", o->model, first_line(e).c_str());
  }
}

void plugin_close(void *model) {
  delete static_cast<Model *>(model);
}

const char *plugin_device(const void *model) {
  return model ? static_cast<const Model *>(model)->device_name.c_str() : "";
}

int plugin_predict(void *model, const tc_model_input *inputs, size_t n, tc_model_output *out,
                   char *err, size_t err_len) {
  if (!model || (n > 0 && (!inputs || !out)))
    return fail(TC_EINVAL, err, err_len, "predict: a NULL argument");
  Model &m = *static_cast<Model *>(model);
  if (m.input != TC_MODEL_INPUT_ANSWER) {
    return fail(TC_EINVAL, err, err_len,
                "predict: the model was opened for dense vectors; use predict_dense");
  }
  try {
    for (size_t first = 0; first < n; first += static_cast<size_t>(m.max_batch)) {
      size_t count = std::min(n - first, static_cast<size_t>(m.max_batch));
      int rc = outputs_of(m, forward(m, inputs + first, count), count, out + first, err, err_len);
      if (rc != TC_OK) return rc;
    }
    return TC_OK;
  } catch (const std::bad_alloc &) {
    return fail(TC_ENOMEM, err, err_len, "predict: out of memory");
  } catch (const std::exception &e) {
    return fail(TC_EINVAL, err, err_len, "predict: the model failed on %s: %s",
                m.device_name.c_str(), first_line(e).c_str());
  }
}

int32_t plugin_threads() {
  return static_cast<int32_t>(at::get_num_threads());
}

int plugin_predict_dense(void *model, const float *x, size_t n, uint32_t dim, tc_model_output *out,
                         char *err, size_t err_len) {
  if (!model || (n > 0 && (!x || !out)))
    return fail(TC_EINVAL, err, err_len, "predict_dense: a NULL argument");
  Model &m = *static_cast<Model *>(model);
  if (m.input != TC_MODEL_INPUT_DENSE) {
    return fail(TC_EINVAL, err, err_len,
                "predict_dense: the model was opened for answers; use predict");
  }
  if (dim != m.dim) {
    return fail(TC_EINVAL, err, err_len,
                "predict_dense: rows of %u values; the model reads %u features", dim, m.dim);
  }
  for (size_t i = 0; i < n * dim; ++i) {
    if (!std::isfinite(x[i])) {
      return fail(TC_EINVAL, err, err_len, "predict_dense: row %zu, feature %zu is not finite",
                  i / dim, i % dim);
    }
  }
  try {
    for (size_t first = 0; first < n; first += static_cast<size_t>(m.max_batch)) {
      size_t count = std::min(n - first, static_cast<size_t>(m.max_batch));
      int rc =
          outputs_of(m, forward_dense(m, x + first * dim, count), count, out + first, err, err_len);
      if (rc != TC_OK) return rc;
    }
    return TC_OK;
  } catch (const std::bad_alloc &) {
    return fail(TC_ENOMEM, err, err_len, "predict_dense: out of memory");
  } catch (const std::exception &e) {
    return fail(TC_EINVAL, err, err_len, "predict_dense: the model failed on %s: %s",
                m.device_name.c_str(), first_line(e).c_str());
  }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const tc_model_plugin *tc_torch_plugin_v2(void) {
  static const tc_model_plugin plugin = {
      TC_MODEL_PLUGIN_ABI, "torchscript",        "libtorch " TORCH_VERSION,
      TC_MODEL_FEATURIZER, plugin_featurize,     plugin_open,
      plugin_close,        plugin_device,        plugin_predict,
      plugin_threads,      plugin_predict_dense,
  };
  return &plugin;
}
