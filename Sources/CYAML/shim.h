/* libyaml (Debian's libyaml-dev), the YAML 1.1 parser Yams wraps, read through FastPush's own small reader
   (Sources/Controller/Config/YAMLReader.swift). The module map names no library on purpose: the Controller
   target links the static libyaml.a (`-l:libyaml.a`), so the controller needs no libyaml at run time. */
#include <yaml.h>
