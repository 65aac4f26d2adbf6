// make_image_tree DIR: writes the tests' small image folder (image_tree.hpp), for train_cli.sh.
#include <iostream>

#include "image_tree.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_image_tree DIR\n";
    return 2;
  }
  resist::exec::test::make_image_tree(argv[1]);
  return 0;
}
