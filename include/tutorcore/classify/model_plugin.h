/*
 * model_plugin.h: the C interface between libtutorcore and a model plugin.
 *
 * A model plugin is a shared library (libtutorcore_torch.so, the TorchScript
 * backend in plugins/torch/) that the core opens with dlopen only when a
 * model is loaded (tc_tutor_load_model, classify/model.hpp). It exports one
 * C symbol, TC_TORCH_PLUGIN_ENTRY, returning a static table of function
 * pointers; the core checks abi_version and talks to it through the table
 * alone. Plain C with fixed-width types, so the plugin shares no C++ type
 * with the core and libtorch stays inside the plugin.
 *
 * A model reads one of two input kinds, chosen when it is opened
 * (tc_model_open_options.input): answers, which the plugin turns into
 * tc_hash_v1 vectors (predict; the answer classifier), or dense float32
 * feature vectors the caller computes (predict_dense; the metacognitive
 * bias model, metacog/model.hpp, over the 15 bias features).
 *
 * Not part of the public API (tutorcore.h is): both sides are built from one
 * source tree. A change that breaks the table bumps TC_MODEL_PLUGIN_ABI and
 * the entry point's name suffix.
 *
 * Every function that can fail returns a tc_status (TC_OK, TC_EINVAL,
 * TC_ENOTFOUND, TC_EUNAVAILABLE, TC_ENOMEM, TC_EINTERNAL) and writes a
 * message of at most err_len - 1 bytes (NUL-terminated) into err. No C++
 * exception leaves the plugin.
 */
#ifndef TUTORCORE_CLASSIFY_MODEL_PLUGIN_H
#define TUTORCORE_CLASSIFY_MODEL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TC_MODEL_PLUGIN_ABI 2
/** The symbol the TorchScript plugin exports (a tc_model_plugin_entry). */
#define TC_TORCH_PLUGIN_ENTRY "tc_torch_plugin_v2"
/** The plugin's file name, looked for beside libtutorcore and on the loader's path. */
#define TC_TORCH_PLUGIN_FILE "libtutorcore_torch.so"
/** The environment variable naming the plugin's path. */
#define TC_TORCH_PLUGIN_ENV "TUTORCORE_TORCH_PLUGIN"
/** The featurizer the plugin implements (docs/pipeline.md, "Trained models"). */
#define TC_MODEL_FEATURIZER "tc_hash_v1"

/** UTF-8 text, not NUL-terminated. */
typedef struct tc_model_text {
  const char *data;
  size_t len;
} tc_model_text;

/** One answer to classify, with the context the featurizer reads. */
typedef struct tc_model_input {
  tc_model_text answer;         /**< the student's answer */
  tc_model_text problem_text;   /**< the problem as shown (a template instance's filled text) */
  tc_model_text correct_answer; /**< the problem's correct answer */
  tc_model_text concept_id;     /**< the problem's concept */
} tc_model_input;

/** One prediction: the softmax's best and runner-up label indexes. */
typedef struct tc_model_output {
  int32_t label;     /**< index into the label map */
  int32_t second;    /**< the runner-up's index (-1 when the model has one label) */
  double confidence; /**< softmax probability of `label` */
  double second_confidence;
} tc_model_output;

/** Input kinds (tc_model_open_options.input). */
#define TC_MODEL_INPUT_ANSWER 0 /**< answers, featurized by the plugin (tc_hash_v1): predict */
#define TC_MODEL_INPUT_DENSE 1  /**< dense float32 vectors from the caller: predict_dense */
/** The largest dense vector a model may read. */
#define TC_MODEL_DENSE_MAX_DIM 65536

#define TC_MODEL_OPEN_OPTIONS_VERSION 2
typedef struct tc_model_open_options {
  uint32_t version;     /**< TC_MODEL_OPEN_OPTIONS_VERSION (1: no `input`, answers) */
  const char *model;    /**< the TorchScript file (torch.jit.save) */
  const char *device;   /**< "auto" (CUDA when torch reports a device), "cpu" or "cuda" */
  uint32_t feature_dim; /**< answers: the featurizer's vector size, a power of two; dense: the
                           vector's length, 1 to TC_MODEL_DENSE_MAX_DIM */
  int32_t num_labels;   /**< the model's output columns (the label map's size) */
  int32_t max_batch;    /**< inputs per forward pass; larger batches are split */
  uint32_t input;       /**< TC_MODEL_INPUT_ANSWER or TC_MODEL_INPUT_DENSE (version >= 2) */
} tc_model_open_options;

typedef struct tc_model_plugin {
  uint32_t abi_version;   /**< TC_MODEL_PLUGIN_ABI */
  const char *name;       /**< "torchscript" */
  const char *runtime;    /**< e.g. "libtorch 1.13.0" */
  const char *featurizer; /**< TC_MODEL_FEATURIZER */

  /** The feature vector of one input (dim floats, L2-normalised); no model needed. */
  int (*featurize)(const tc_model_input *input, uint32_t dim, float *out, char *err,
                   size_t err_len);
  /** Loads a model; *out is released with close. TC_ENOTFOUND: no such file;
   * TC_EINVAL: not a TorchScript model, or its output does not have num_labels
   * columns for a float32 [1, feature_dim] input (answers and dense alike);
   * TC_EUNAVAILABLE: "cuda" without a device. */
  int (*open)(void **out, const tc_model_open_options *options, char *err, size_t err_len);
  void (*close)(void *model);
  /** "cpu" or "cuda:N": where the model runs. Static for the model's life. */
  const char *(*device)(const void *model);
  /** Classifies n answers into out[0..n) (a model opened for answers). Safe for
   * concurrent calls on one model. */
  int (*predict)(void *model, const tc_model_input *inputs, size_t n, tc_model_output *out,
                 char *err, size_t err_len);
  /** The runtime's intra-op threads for CPU inference (process-wide). */
  int32_t (*threads)(void);
  /** Classifies n dense vectors, x holding n rows of dim floats (row-major), into
   * out[0..n) (a model opened for dense input, dim its feature_dim). TC_EINVAL:
   * the other input kind, another dim, or a value that is not finite. Safe for
   * concurrent calls on one model. */
  int (*predict_dense)(void *model, const float *x, size_t n, uint32_t dim, tc_model_output *out,
                       char *err, size_t err_len);
} tc_model_plugin;

typedef const tc_model_plugin *(*tc_model_plugin_entry)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TUTORCORE_CLASSIFY_MODEL_PLUGIN_H */
