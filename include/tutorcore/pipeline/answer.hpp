// Answer equivalence moved to the classify engine; this header forwards to it.
#pragma once

#include "tutorcore/classify/answer.hpp"
