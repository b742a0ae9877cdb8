{
  "targets": [
    {
      "target_name": "reel_posix",
      "sources": ["native/reel_posix.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE", "_FILE_OFFSET_BITS=64"],
      "cflags": ["-O2", "-Wall"],
      "cflags_c": ["-std=gnu11"],
      "configurations": {
        "Release": {
          "cflags!": ["-O3"]
        }
      }
    }
  ]
}
