// Trained models through the C ABI: tc_tutor_load_model opens the TorchScript
// plugin (dlopen, only now) and registers the model on the tutor: an answer
// classifier (classify/model.hpp, "model") or, for a label map whose task is
// "metacog.bias", the bias detector's model (metacog/model.hpp, "bias").
#include <memory>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/classify/model.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/metacog/model.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_load_model(tc_tutor *tutor, const char *request_json, size_t len,
                              char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(request_json, "request_json");
    ModelOptions o = model_options_from_json(std::string_view(request_json, len));
    // The request's task, else the label map's (an unreadable file: the
    // answer loader, which reports the plugin first, then the file).
    std::string task = o.task.empty() ? label_map_task(o.labels) : o.task;
    std::shared_ptr<const ClassifierPlugin> model;
    std::string described;
    if (task == kTaskBias) {
      auto bias = std::make_shared<const BiasModel>(o);
      described = bias->describe_json();
      model = bias;
    } else {
      auto answers = std::make_shared<const ModelClassifier>(tutor->tutor->domain(), o);
      described = answers->describe_json();
      model = answers;
    }
    tutor->tutor->register_classifier(model);
    if (out_json) {
      JsonWriter w;
      w.begin_object().field("schema_version", 1).key("model").raw(described).end_object();
      *out_json = capi::dup_string(w.str());
    }
  });
}

}  // extern "C"
