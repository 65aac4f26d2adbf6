// The files of platforms/ compiled into the library (sim/embed.cmake writes the definition).
#pragma once
#include <string>
#include <vector>

namespace resist::sim {

struct EmbeddedFile {
  const char* name; // file name, e.g. "aws_p3_8xlarge.xml"
  const char* text;
};

const std::vector<EmbeddedFile>& embedded_files();

} // namespace resist::sim
