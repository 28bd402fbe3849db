// Trained models through the C ABI: tc_tutor_load_model opens the TorchScript
// plugin (dlopen, only now) and registers the model on the tutor.
#include <memory>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/classify/model.hpp"
#include "tutorcore/common/json_writer.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_load_model(tc_tutor *tutor, const char *request_json, size_t len,
                              char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(request_json, "request_json");
    ModelOptions o = model_options_from_json(std::string_view(request_json, len));
    auto model = std::make_shared<const ModelClassifier>(tutor->tutor->domain(), o);
    std::string described = model->describe_json();
    tutor->tutor->register_classifier(model);
    if (out_json) {
      JsonWriter w;
      w.begin_object().field("schema_version", 1).key("model").raw(described).end_object();
      *out_json = capi::dup_string(w.str());
    }
  });
}

}  // extern "C"
