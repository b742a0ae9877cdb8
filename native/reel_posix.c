/*
 * reel_posix: the POSIX calls Node's fs lacks (exact-nanosecond utimensat, mknod, xattrs,
 * SEEK_DATA/SEEK_HOLE, passwd/group lookups) plus a few batched calls that save per-call
 * overhead on trees of many small files. Plain C against N-API version 8, so one binary
 * loads unchanged on every Node from 20 on. Linux only (O_NOATIME, lgetxattr & co).
 *
 * Conventions:
 *   - paths and xattr names arrive as Buffers/Uint8Arrays of raw bytes; a NUL-terminated
 *     copy is passed to the kernel unchanged (no UTF-8 round trip);
 *   - system call failures throw an Error shaped like Node's own: message
 *     "ENOENT: no such file or directory, lutimens '<path>'", and properties code, errno
 *     (negative), syscall and path;
 *   - bad arguments throw a TypeError or RangeError; every N-API status is checked.
 * See docs/decisions/0002-native-posix-addon.md.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef __linux__
#error "reel_posix targets Linux (O_NOATIME, l*xattr, SEEK_DATA/SEEK_HOLE)"
#endif

#define MAX_SAFE_INTEGER 9007199254740991.0
#define NSEC_MAX 999999999.0
#define U32_MAX_D 4294967295.0
#define LOOKUP_BUF_MAX (1u << 22)  /* 4 MiB: enough for any sane passwd/group entry */
#define XATTR_RETRIES 16

/* ---------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------- */

typedef struct {
  int no;
  const char *code;
  const char *desc; /* libuv's wording, so messages read like Node's */
} errno_entry;

static const errno_entry ERRNO_TABLE[] = {
    {EPERM, "EPERM", "operation not permitted"},
    {ENOENT, "ENOENT", "no such file or directory"},
    {ESRCH, "ESRCH", "no such process"},
    {EINTR, "EINTR", "interrupted system call"},
    {EIO, "EIO", "i/o error"},
    {ENXIO, "ENXIO", "no such device or address"},
    {E2BIG, "E2BIG", "argument list too long"},
    {EBADF, "EBADF", "bad file descriptor"},
    {EAGAIN, "EAGAIN", "resource temporarily unavailable"},
    {ENOMEM, "ENOMEM", "not enough memory"},
    {EACCES, "EACCES", "permission denied"},
    {EFAULT, "EFAULT", "bad address in system call argument"},
    {EBUSY, "EBUSY", "resource busy or locked"},
    {EEXIST, "EEXIST", "file already exists"},
    {EXDEV, "EXDEV", "cross-device link not permitted"},
    {ENODEV, "ENODEV", "no such device"},
    {ENOTDIR, "ENOTDIR", "not a directory"},
    {EISDIR, "EISDIR", "illegal operation on a directory"},
    {EINVAL, "EINVAL", "invalid argument"},
    {ENFILE, "ENFILE", "file table overflow"},
    {EMFILE, "EMFILE", "too many open files"},
    {ENOTTY, "ENOTTY", "inappropriate ioctl for device"},
    {ETXTBSY, "ETXTBSY", "text file is busy"},
    {EFBIG, "EFBIG", "file too large"},
    {ENOSPC, "ENOSPC", "no space left on device"},
    {ESPIPE, "ESPIPE", "invalid seek"},
    {EROFS, "EROFS", "read-only file system"},
    {EMLINK, "EMLINK", "too many links"},
    {EPIPE, "EPIPE", "broken pipe"},
    {ERANGE, "ERANGE", "result too large"},
    {ENAMETOOLONG, "ENAMETOOLONG", "name too long"},
    {ENOSYS, "ENOSYS", "function not implemented"},
    {ENOTEMPTY, "ENOTEMPTY", "directory not empty"},
    {ELOOP, "ELOOP", "too many symbolic links encountered"},
    {ENODATA, "ENODATA", "no data available"},
    {EOVERFLOW, "EOVERFLOW", "value too large for defined data type"},
    {ENOTSUP, "ENOTSUP", "operation not supported on socket"},
#if EOPNOTSUPP != ENOTSUP
    {EOPNOTSUPP, "EOPNOTSUPP", "operation not supported"},
#endif
    {EDQUOT, "EDQUOT", "disk quota exceeded"},
    {ESTALE, "ESTALE", "stale file handle"},
    {ETIMEDOUT, "ETIMEDOUT", "connection timed out"},
};

/* Fills code/desc for err; codebuf and descbuf are used for errnos missing from the table. */
static void errno_describe(int err, const char **code, const char **desc, char *codebuf, size_t codecap,
                           char *descbuf, size_t desccap) {
  for (size_t i = 0; i < sizeof ERRNO_TABLE / sizeof ERRNO_TABLE[0]; i++) {
    if (ERRNO_TABLE[i].no == err) {
      *code = ERRNO_TABLE[i].code;
      *desc = ERRNO_TABLE[i].desc;
      return;
    }
  }
  const char *name = NULL;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  name = strerrorname_np(err);
#endif
  if (name != NULL) {
    snprintf(codebuf, codecap, "%s", name);
  } else {
    snprintf(codebuf, codecap, "E%d", err);
  }
  *code = codebuf;
  /* GNU strerror_r returns a pointer that may or may not be descbuf. */
  const char *text = strerror_r(err, descbuf, desccap);
  if (text != descbuf) snprintf(descbuf, desccap, "%s", text != NULL ? text : "unknown error");
  for (char *c = descbuf; *c != '\0'; c++) {
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  }
  *desc = descbuf;
}

/* Throws a generic Error for a failed N-API call unless an exception is already pending. */
static void throw_napi_failure(napi_env env) {
  const napi_extended_error_info *info = NULL;
  const char *message = "N-API call failed";
  if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL && info->error_message != NULL) {
    message = info->error_message; /* static string owned by Node */
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  napi_throw_error(env, "ERR_REEL_NAPI", message);
}

#define NAPI_TRY(call)        \
  do {                        \
    if ((call) != napi_ok) {  \
      throw_napi_failure(env); \
      goto fail;              \
    }                         \
  } while (0)

static bool set_string_prop(napi_env env, napi_value obj, const char *key, const char *value, size_t len) {
  napi_value v;
  if (napi_create_string_utf8(env, value, len, &v) != napi_ok) return false;
  return napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* Throws a Node-style system error. path (raw bytes, may be NULL) is decoded lossily. */
static void throw_errno(napi_env env, int err, const char *syscall, const char *path, size_t path_len) {
  char codebuf[32], descbuf[128];
  const char *code, *desc;
  errno_describe(err, &code, &desc, codebuf, sizeof codebuf, descbuf, sizeof descbuf);

  size_t cap = strlen(code) + strlen(desc) + strlen(syscall) + path_len + 16;
  char *msg = malloc(cap);
  if (msg == NULL) {
    napi_throw_error(env, code, desc);
    return;
  }
  int n = snprintf(msg, cap, "%s: %s, %s", code, desc, syscall);
  size_t len = n > 0 ? (size_t)n : 0;
  if (path != NULL) {
    msg[len++] = ' ';
    msg[len++] = '\'';
    if (path_len > 0) memcpy(msg + len, path, path_len);
    len += path_len;
    msg[len++] = '\'';
  }

  napi_value msg_v, code_v, err_v, errno_v;
  bool ok = napi_create_string_utf8(env, msg, len, &msg_v) == napi_ok &&
            napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v) == napi_ok &&
            napi_create_error(env, code_v, msg_v, &err_v) == napi_ok &&
            napi_create_int32(env, -err, &errno_v) == napi_ok &&
            napi_set_named_property(env, err_v, "errno", errno_v) == napi_ok &&
            set_string_prop(env, err_v, "syscall", syscall, NAPI_AUTO_LENGTH) &&
            (path == NULL || set_string_prop(env, err_v, "path", path, path_len));
  free(msg);
  if (ok && napi_throw(env, err_v) == napi_ok) return;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  napi_throw_error(env, code, desc);
}

static void throw_type(napi_env env, const char *code, const char *fmt, const char *name) {
  char msg[160];
  snprintf(msg, sizeof msg, fmt, name);
  napi_throw_type_error(env, code, msg);
}

static void throw_range(napi_env env, const char *name, double min, double max) {
  char msg[200];
  snprintf(msg, sizeof msg, "The value of \"%s\" is out of range. It must be an integer >= %.0f and <= %.0f",
           name, min, max);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
}

/* ---------------------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------------------- */

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (argc < want) {
    char msg[80];
    snprintf(msg, sizeof msg, "Expected %zu arguments, got %zu", want, argc);
    napi_throw_type_error(env, "ERR_MISSING_ARGS", msg);
    return false;
  }
  return true;
}

/* An integral Number within [min, max]. */
static bool get_integer(napi_env env, napi_value v, const char *name, double min, double max, double *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (t != napi_number) {
    throw_type(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be of type number", name);
    return false;
  }
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (!isfinite(d) || d != trunc(d) || d < min || d > max) {
    throw_range(env, name, min, max);
    return false;
  }
  *out = d;
  return true;
}

static bool get_fd(napi_env env, napi_value v, int *fd) {
  double d;
  if (!get_integer(env, v, "fd", 0, 2147483647.0, &d)) return false;
  *fd = (int)d;
  return true;
}

static bool get_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  double d;
  if (!get_integer(env, v, name, 0, U32_MAX_D, &d)) return false;
  *out = (uint32_t)d;
  return true;
}

static bool get_bool(napi_env env, napi_value v, const char *name, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (t != napi_boolean) {
    throw_type(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be of type boolean", name);
    return false;
  }
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  return true;
}

/* Four Numbers: atimeSec, atimeNsec, mtimeSec, mtimeNsec. */
static bool get_times(napi_env env, const napi_value *argv, struct timespec ts[2]) {
  static const char *names[4] = {"atimeSec", "atimeNsec", "mtimeSec", "mtimeNsec"};
  double d[4];
  for (int i = 0; i < 4; i++) {
    bool nsec = (i & 1) != 0;
    if (!get_integer(env, argv[i], names[i], nsec ? 0 : -MAX_SAFE_INTEGER, nsec ? NSEC_MAX : MAX_SAFE_INTEGER,
                     &d[i])) {
      return false;
    }
  }
  ts[0].tv_sec = (time_t)d[0];
  ts[0].tv_nsec = (long)d[1];
  ts[1].tv_sec = (time_t)d[2];
  ts[1].tv_nsec = (long)d[3];
  return true;
}

/* The bytes of a Uint8Array (Buffer included). data may be NULL when len is 0. */
static bool get_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (is_typed) {
    napi_typedarray_type type;
    size_t length;
    void *ptr = NULL;
    if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok) {
      throw_napi_failure(env);
      return false;
    }
    if (type == napi_uint8_array || type == napi_uint8_clamped_array) {
      *data = ptr;
      *len = ptr != NULL ? length : 0;
      return true;
    }
  } else {
    bool is_buffer = false;
    if (napi_is_buffer(env, v, &is_buffer) != napi_ok) {
      throw_napi_failure(env);
      return false;
    }
    if (is_buffer) {
      void *ptr = NULL;
      size_t length = 0;
      if (napi_get_buffer_info(env, v, &ptr, &length) != napi_ok) {
        throw_napi_failure(env);
        return false;
      }
      *data = ptr;
      *len = ptr != NULL ? length : 0;
      return true;
    }
  }
  throw_type(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be a Buffer or Uint8Array", name);
  return false;
}

/* A NUL-terminated copy of a byte string; short ones live on the stack. */
typedef struct {
  char *p;
  size_t len;
  char small[256];
} cstr;

static void cstr_init(cstr *s) {
  s->p = NULL;
  s->len = 0;
}

static void cstr_free(cstr *s) {
  if (s->p != NULL && s->p != s->small) free(s->p);
  s->p = NULL;
}

static bool get_cstr(napi_env env, napi_value v, const char *name, cstr *out) {
  uint8_t *data;
  size_t len;
  if (!get_bytes(env, v, name, &data, &len)) return false;
  if (len > 0 && memchr(data, 0, len) != NULL) {
    throw_type(env, "ERR_INVALID_ARG_VALUE", "The \"%s\" argument must not contain null bytes", name);
    return false;
  }
  char *p = len < sizeof out->small ? out->small : malloc(len + 1);
  if (p == NULL) {
    throw_errno(env, ENOMEM, "malloc", NULL, 0);
    return false;
  }
  if (len > 0) memcpy(p, data, len);
  p[len] = '\0';
  out->p = p;
  out->len = len;
  return true;
}

static napi_value make_null(napi_env env) {
  napi_value v;
  if (napi_get_null(env, &v) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  return v;
}

static napi_value make_int64(napi_env env, int64_t n) {
  napi_value v;
  if (napi_create_int64(env, n, &v) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  return v;
}

/* ---------------------------------------------------------------------------------------
 * Times and nodes
 * ------------------------------------------------------------------------------------- */

/* lutimens(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec): void */
static napi_value js_lutimens(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  cstr path;
  cstr_init(&path);
  struct timespec ts[2];
  if (!get_args(env, info, 5, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;
  if (get_times(env, argv + 1, ts) && utimensat(AT_FDCWD, path.p, ts, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_errno(env, errno, "lutimens", path.p, path.len);
  }
  cstr_free(&path);
  return NULL;
}

/* futimens(fd, atimeSec, atimeNsec, mtimeSec, mtimeNsec): void */
static napi_value js_futimens(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int fd;
  struct timespec ts[2];
  if (!get_args(env, info, 5, argv) || !get_fd(env, argv[0], &fd) || !get_times(env, argv + 1, ts)) return NULL;
  if (futimens(fd, ts) != 0) throw_errno(env, errno, "futimens", NULL, 0);
  return NULL;
}

/* closeFd(fd): void -- a plain close(2), for descriptors opened on another thread, which
 * Node's own fs.closeSync would warn about in a worker. */
static napi_value js_close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  if (close(fd) != 0 && errno != EINTR) throw_errno(env, errno, "close", NULL, 0);
  return NULL;
}

/* alignmentOffset(buffer, alignment): the bytes to skip from the start of the buffer's memory
 * to an address that is a multiple of alignment (a power of two), for O_DIRECT writes. */
static napi_value js_alignment_offset(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *ptr = NULL;
  size_t length = 0;
  uint32_t alignment;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (napi_get_buffer_info(env, argv[0], &ptr, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "alignmentOffset: a Buffer is required");
    return NULL;
  }
  if (!get_u32(env, argv[1], "alignment", &alignment)) return NULL;
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    napi_throw_range_error(env, NULL, "alignmentOffset: the alignment must be a power of two");
    return NULL;
  }
  uintptr_t address = (uintptr_t)ptr;
  uint32_t offset = (uint32_t)((alignment - (address & (alignment - 1))) & (alignment - 1));
  napi_value result;
  if (napi_create_uint32(env, offset, &result) != napi_ok) return NULL;
  return result;
}

/* mknod(path, mode, major, minor): void */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  cstr path;
  cstr_init(&path);
  uint32_t mode, major_n, minor_n;
  if (!get_args(env, info, 4, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;
  if (get_u32(env, argv[1], "mode", &mode) && get_u32(env, argv[2], "major", &major_n) &&
      get_u32(env, argv[3], "minor", &minor_n) &&
      mknod(path.p, (mode_t)mode, makedev(major_n, minor_n)) != 0) {
    throw_errno(env, errno, "mknod", path.p, path.len);
  }
  cstr_free(&path);
  return NULL;
}

/* ---------------------------------------------------------------------------------------
 * Extended attributes
 * ------------------------------------------------------------------------------------- */

static bool is_notsup(int err) { return err == ENOTSUP || err == EOPNOTSUPP; }

/* llistxattr(path): Buffer[]  ([] when none or when the filesystem has no xattrs) */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL;
  cstr path;
  cstr_init(&path);
  char *buf = NULL;
  ssize_t got = 0;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;

  for (int attempt = 0;; attempt++) {
    ssize_t size = llistxattr(path.p, NULL, 0);
    if (size < 0) {
      if (is_notsup(errno)) break;
      throw_errno(env, errno, "llistxattr", path.p, path.len);
      goto fail;
    }
    if (size == 0) break;
    buf = malloc((size_t)size);
    if (buf == NULL) {
      throw_errno(env, ENOMEM, "llistxattr", path.p, path.len);
      goto fail;
    }
    got = llistxattr(path.p, buf, (size_t)size);
    if (got >= 0) break;
    int err = errno;
    free(buf);
    buf = NULL;
    got = 0;
    if (is_notsup(err)) break;
    if (err != ERANGE || attempt + 1 >= XATTR_RETRIES) {
      throw_errno(env, err, "llistxattr", path.p, path.len);
      goto fail;
    }
  }

  NAPI_TRY(napi_create_array(env, &result));
  uint32_t index = 0;
  size_t start = 0;
  for (size_t i = 0; i <= (size_t)got; i++) {
    if (i == (size_t)got || buf[i] == '\0') {
      if (i > start) {
        napi_value name;
        NAPI_TRY(napi_create_buffer_copy(env, i - start, buf + start, NULL, &name));
        NAPI_TRY(napi_set_element(env, result, index++, name));
      }
      start = i + 1;
    }
  }
  free(buf);
  cstr_free(&path);
  return result;

fail:
  free(buf);
  cstr_free(&path);
  return NULL;
}

/* lgetxattr(path, name): Buffer */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL;
  cstr path, name;
  cstr_init(&path);
  cstr_init(&name);
  char *buf = NULL;
  ssize_t got = 0;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;
  if (!get_cstr(env, argv[1], "name", &name)) goto fail;

  for (int attempt = 0;; attempt++) {
    ssize_t size = lgetxattr(path.p, name.p, NULL, 0);
    if (size < 0) {
      throw_errno(env, errno, "lgetxattr", path.p, path.len);
      goto fail;
    }
    if (size == 0) break;
    buf = malloc((size_t)size);
    if (buf == NULL) {
      throw_errno(env, ENOMEM, "lgetxattr", path.p, path.len);
      goto fail;
    }
    got = lgetxattr(path.p, name.p, buf, (size_t)size);
    if (got >= 0) break;
    int err = errno;
    free(buf);
    buf = NULL;
    got = 0;
    if (err != ERANGE || attempt + 1 >= XATTR_RETRIES) {
      throw_errno(env, err, "lgetxattr", path.p, path.len);
      goto fail;
    }
  }

  if (got == 0) {
    void *unused;
    NAPI_TRY(napi_create_buffer(env, 0, &unused, &result));
  } else {
    NAPI_TRY(napi_create_buffer_copy(env, (size_t)got, buf, NULL, &result));
  }
  free(buf);
  cstr_free(&name);
  cstr_free(&path);
  return result;

fail:
  free(buf);
  cstr_free(&name);
  cstr_free(&path);
  return NULL;
}

/* lsetxattr(path, name, value): void */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  cstr path, name;
  cstr_init(&path);
  cstr_init(&name);
  uint8_t *value;
  size_t value_len;
  if (!get_args(env, info, 3, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;
  if (get_cstr(env, argv[1], "name", &name) && get_bytes(env, argv[2], "value", &value, &value_len) &&
      lsetxattr(path.p, name.p, value_len > 0 ? (const void *)value : "", value_len, 0) != 0) {
    throw_errno(env, errno, "lsetxattr", path.p, path.len);
  }
  cstr_free(&name);
  cstr_free(&path);
  return NULL;
}

/* ---------------------------------------------------------------------------------------
 * Sparse files
 * ------------------------------------------------------------------------------------- */

static napi_value seek_common(napi_env env, napi_callback_info info, int whence) {
  napi_value argv[2];
  int fd;
  double offset;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd) ||
      !get_integer(env, argv[1], "offset", 0, MAX_SAFE_INTEGER, &offset)) {
    return NULL;
  }
  off_t pos = lseek(fd, (off_t)offset, whence);
  if (pos < 0) {
    if (errno == ENXIO) return make_int64(env, -1);
    throw_errno(env, errno, "lseek", NULL, 0);
    return NULL;
  }
  return make_int64(env, (int64_t)pos);
}

/* seekData(fd, offset): number  (-1 when there is no data at or after offset) */
static napi_value js_seek_data(napi_env env, napi_callback_info info) { return seek_common(env, info, SEEK_DATA); }

/* seekHole(fd, offset): number  (-1 when offset is at or past the end) */
static napi_value js_seek_hole(napi_env env, napi_callback_info info) { return seek_common(env, info, SEEK_HOLE); }

/* ---------------------------------------------------------------------------------------
 * Users and groups
 * ------------------------------------------------------------------------------------- */

enum lookup_kind { BY_UID, BY_GID, BY_USER_NAME, BY_GROUP_NAME };

static const char *const LOOKUP_SYSCALL[] = {"getpwuid_r", "getgrgid_r", "getpwnam_r", "getgrnam_r"};

/* "Not found" per getpwnam_r(3): 0 with a NULL result, or one of these errnos. */
static bool lookup_not_found(int rc) {
  return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

static napi_value lookup(napi_env env, enum lookup_kind kind, uint32_t id, const char *name) {
  long hint = sysconf(kind == BY_UID || kind == BY_USER_NAME ? _SC_GETPW_R_SIZE_MAX : _SC_GETGR_R_SIZE_MAX);
  size_t cap = hint > 0 && hint < (long)LOOKUP_BUF_MAX ? (size_t)hint : 1024;
  char *buf = NULL;
  struct passwd pw, *pw_res = NULL;
  struct group gr, *gr_res = NULL;
  int rc;
  for (;;) {
    buf = malloc(cap);
    if (buf == NULL) {
      throw_errno(env, ENOMEM, LOOKUP_SYSCALL[kind], NULL, 0);
      return NULL;
    }
    switch (kind) {
      case BY_UID: rc = getpwuid_r((uid_t)id, &pw, buf, cap, &pw_res); break;
      case BY_GID: rc = getgrgid_r((gid_t)id, &gr, buf, cap, &gr_res); break;
      case BY_USER_NAME: rc = getpwnam_r(name, &pw, buf, cap, &pw_res); break;
      default: rc = getgrnam_r(name, &gr, buf, cap, &gr_res); break;
    }
    if (rc == EINTR) {
      free(buf);
      continue;
    }
    if (rc != ERANGE || cap >= LOOKUP_BUF_MAX) break;
    free(buf);
    cap *= 2;
  }

  napi_value result = NULL;
  if (pw_res != NULL || gr_res != NULL) {
    napi_status st;
    switch (kind) {
      case BY_UID: st = napi_create_string_utf8(env, pw.pw_name, NAPI_AUTO_LENGTH, &result); break;
      case BY_GID: st = napi_create_string_utf8(env, gr.gr_name, NAPI_AUTO_LENGTH, &result); break;
      case BY_USER_NAME: st = napi_create_uint32(env, (uint32_t)pw.pw_uid, &result); break;
      default: st = napi_create_uint32(env, (uint32_t)gr.gr_gid, &result); break;
    }
    if (st != napi_ok) {
      throw_napi_failure(env);
      result = NULL;
    }
  } else if (lookup_not_found(rc)) {
    result = make_null(env);
  } else {
    throw_errno(env, rc, LOOKUP_SYSCALL[kind], NULL, 0);
  }
  free(buf);
  return result;
}

static napi_value lookup_by_id(napi_env env, napi_callback_info info, enum lookup_kind kind, const char *argname) {
  napi_value argv[1];
  uint32_t id;
  if (!get_args(env, info, 1, argv) || !get_u32(env, argv[0], argname, &id)) return NULL;
  return lookup(env, kind, id, NULL);
}

static napi_value lookup_by_name(napi_env env, napi_callback_info info, enum lookup_kind kind) {
  napi_value argv[1], result = NULL;
  napi_valuetype t;
  char *name = NULL;
  size_t len = 0;
  if (!get_args(env, info, 1, argv)) return NULL;
  NAPI_TRY(napi_typeof(env, argv[0], &t));
  if (t != napi_string) {
    throw_type(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be of type string", "name");
    return NULL;
  }
  NAPI_TRY(napi_get_value_string_utf8(env, argv[0], NULL, 0, &len));
  name = malloc(len + 1);
  if (name == NULL) {
    throw_errno(env, ENOMEM, LOOKUP_SYSCALL[kind], NULL, 0);
    return NULL;
  }
  NAPI_TRY(napi_get_value_string_utf8(env, argv[0], name, len + 1, &len));
  /* A name with an embedded NUL (say, from a damaged archive) names nobody. */
  result = memchr(name, 0, len) != NULL ? make_null(env) : lookup(env, kind, 0, name);
  free(name);
  return result;

fail:
  free(name);
  return NULL;
}

/* userName(uid): string | null */
static napi_value js_user_name(napi_env env, napi_callback_info info) { return lookup_by_id(env, info, BY_UID, "uid"); }
/* groupName(gid): string | null */
static napi_value js_group_name(napi_env env, napi_callback_info info) { return lookup_by_id(env, info, BY_GID, "gid"); }
/* userId(name): number | null */
static napi_value js_user_id(napi_env env, napi_callback_info info) { return lookup_by_name(env, info, BY_USER_NAME); }
/* groupId(name): number | null */
static napi_value js_group_id(napi_env env, napi_callback_info info) { return lookup_by_name(env, info, BY_GROUP_NAME); }

/* ---------------------------------------------------------------------------------------
 * Batched directory scan
 * ------------------------------------------------------------------------------------- */

/* Fixed part of a scan record after the name: errno, then the stat fields (see scanDir). */
#define SCAN_FIXED 100

static inline uint8_t *put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
  return p + 4;
}

static inline uint8_t *put_u64(uint8_t *p, uint64_t v) {
  put_u32(p, (uint32_t)v);
  return put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t *put_stat(uint8_t *p, const struct stat *st) {
  p = put_u64(p, (uint64_t)st->st_dev);
  p = put_u64(p, (uint64_t)st->st_ino);
  p = put_u32(p, (uint32_t)st->st_mode);
  p = put_u32(p, st->st_nlink > UINT32_MAX ? UINT32_MAX : (uint32_t)st->st_nlink);
  p = put_u32(p, (uint32_t)st->st_uid);
  p = put_u32(p, (uint32_t)st->st_gid);
  p = put_u64(p, (uint64_t)st->st_rdev);
  p = put_u64(p, (uint64_t)st->st_size);
  p = put_u64(p, (uint64_t)st->st_blocks);
  p = put_u64(p, (uint64_t)(int64_t)st->st_atim.tv_sec);
  p = put_u32(p, (uint32_t)st->st_atim.tv_nsec);
  p = put_u64(p, (uint64_t)(int64_t)st->st_mtim.tv_sec);
  p = put_u32(p, (uint32_t)st->st_mtim.tv_nsec);
  p = put_u64(p, (uint64_t)(int64_t)st->st_ctim.tv_sec);
  p = put_u32(p, (uint32_t)st->st_ctim.tv_nsec);
  return p;
}

/* scanDir(path): Buffer  -- every entry but . and .., lstat'ed, packed little-endian:
 * u32 nameLength, name, i32 errno, u64 dev, u64 ino, u32 mode, u32 nlink, u32 uid, u32 gid,
 * u64 rdev, u64 size, u64 blocks, i64 atimeSec, u32 atimeNsec, i64 mtimeSec, u32 mtimeNsec,
 * i64 ctimeSec, u32 ctimeNsec. */
static napi_value js_scan_dir(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL;
  cstr path;
  cstr_init(&path);
  DIR *dir = NULL;
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;

  dir = opendir(path.p);
  if (dir == NULL) {
    throw_errno(env, errno, "opendir", path.p, path.len);
    goto fail;
  }
  int dfd = dirfd(dir);
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(dir);
    if (e == NULL) {
      if (errno != 0) {
        throw_errno(env, errno, "readdir", path.p, path.len);
        goto fail;
      }
      break;
    }
    const char *name = e->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    size_t name_len = strlen(name);
    size_t need = 4 + name_len + SCAN_FIXED;
    if (cap - len < need) {
      size_t new_cap = cap == 0 ? 16384 : cap * 2;
      while (new_cap - len < need) new_cap *= 2;
      uint8_t *grown = realloc(buf, new_cap);
      if (grown == NULL) {
        throw_errno(env, ENOMEM, "scandir", path.p, path.len);
        goto fail;
      }
      buf = grown;
      cap = new_cap;
    }
    uint8_t *p = put_u32(buf + len, (uint32_t)name_len);
    memcpy(p, name, name_len);
    p += name_len;
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      p = put_u32(p, 0);
      p = put_stat(p, &st);
      /* Size of the entry's extended-attribute name list (0: none), so that callers list
       * attributes only where there are some. Symlinks on ext4 have none they may carry. */
      ssize_t xattr_bytes = 0;
      if (path.len + 1 + name_len < PATH_MAX) {
        char full[PATH_MAX];
        memcpy(full, path.p, path.len);
        full[path.len] = '/';
        memcpy(full + path.len + 1, name, name_len + 1);
        xattr_bytes = llistxattr(full, NULL, 0);
        if (xattr_bytes < 0) xattr_bytes = (errno == ENOTSUP || errno == ENOENT) ? 0 : 1;
      } else {
        xattr_bytes = 1; /* unknown: let the caller ask */
      }
      p = put_u32(p, (uint32_t)xattr_bytes);
    } else {
      p = put_u32(p, (uint32_t)errno);
      memset(p, 0, SCAN_FIXED - 4);
      p += SCAN_FIXED - 4;
    }
    len = (size_t)(p - buf);
  }
  closedir(dir);
  dir = NULL;

  if (len == 0) {
    void *unused;
    NAPI_TRY(napi_create_buffer(env, 0, &unused, &result));
  } else {
    NAPI_TRY(napi_create_buffer_copy(env, len, buf, NULL, &result));
  }
  free(buf);
  cstr_free(&path);
  return result;

fail:
  if (dir != NULL) closedir(dir);
  free(buf);
  cstr_free(&path);
  return NULL;
}

/* ---------------------------------------------------------------------------------------
 * One-call small-file read and write
 * ------------------------------------------------------------------------------------- */

/* readFileInto(path, target, offset, length): number of bytes read.
 * O_NONBLOCK is added so a FIFO swapped in for a regular file cannot hang the process;
 * it changes nothing for regular files. */
static napi_value js_read_file_into(napi_env env, napi_callback_info info) {
  napi_value argv[4], result = NULL;
  cstr path;
  cstr_init(&path);
  uint8_t *target;
  size_t target_len;
  double offset, length;
  if (!get_args(env, info, 4, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;
  if (!get_bytes(env, argv[1], "target", &target, &target_len) ||
      !get_integer(env, argv[2], "offset", 0, (double)target_len, &offset) ||
      !get_integer(env, argv[3], "length", 0, (double)target_len - offset, &length)) {
    goto done;
  }

  int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  int fd = open(path.p, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open(path.p, flags);
  if (fd < 0) {
    throw_errno(env, errno, "open", path.p, path.len);
    goto done;
  }
  size_t want = (size_t)length, total = 0;
  uint8_t *dst = target != NULL ? target + (size_t)offset : NULL;
  while (total < want) {
    ssize_t n = read(fd, dst + total, want - total);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      throw_errno(env, err, "read", path.p, path.len);
      goto done;
    }
    if (n == 0) break;
    total += (size_t)n;
  }
  close(fd);
  result = make_int64(env, (int64_t)total);

done:
  cstr_free(&path);
  return result;
}

/* writeFileAt(path, data, mode, uid, gid, setOwner, atimeSec, atimeNsec, mtimeSec, mtimeNsec): void
 * Creates path exclusively, writes data, optionally chowns, then chmods (chown clears set-id
 * bits), sets times and closes. Any failure after the create removes the file. */
static napi_value js_write_file_at(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  cstr path;
  cstr_init(&path);
  uint8_t *data;
  size_t data_len;
  uint32_t mode, uid, gid;
  bool set_owner;
  struct timespec ts[2];
  if (!get_args(env, info, 10, argv)) return NULL;
  if (!get_cstr(env, argv[0], "path", &path)) return NULL;
  if (!get_bytes(env, argv[1], "data", &data, &data_len) || !get_u32(env, argv[2], "mode", &mode) ||
      !get_u32(env, argv[3], "uid", &uid) || !get_u32(env, argv[4], "gid", &gid) ||
      !get_bool(env, argv[5], "setOwner", &set_owner) || !get_times(env, argv + 6, ts)) {
    goto done;
  }

  int fd = open(path.p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw_errno(env, errno, "open", path.p, path.len);
    goto done;
  }
  int err = 0;
  const char *syscall = NULL;
  size_t done_bytes = 0;
  while (done_bytes < data_len) {
    ssize_t n = write(fd, data + done_bytes, data_len - done_bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      syscall = "write";
      break;
    }
    if (n == 0) {
      err = EIO;
      syscall = "write";
      break;
    }
    done_bytes += (size_t)n;
  }
  if (err == 0 && set_owner && fchown(fd, (uid_t)uid, (gid_t)gid) != 0) {
    err = errno;
    syscall = "fchown";
  }
  if (err == 0 && fchmod(fd, (mode_t)(mode & 07777)) != 0) {
    err = errno;
    syscall = "fchmod";
  }
  if (err == 0 && futimens(fd, ts) != 0) {
    err = errno;
    syscall = "futimens";
  }
  if (err != 0) {
    close(fd);
  } else if (close(fd) != 0) {
    err = errno;
    syscall = "close";
  }
  if (err != 0) {
    unlink(path.p);
    throw_errno(env, err, syscall, path.p, path.len);
  }

done:
  cstr_free(&path);
  return NULL;
}

/* ---------------------------------------------------------------------------------------
 * Module
 * ------------------------------------------------------------------------------------- */

/* ---------------------------------------------------------------------------------------
 * CRC-32C (format.md §1) with the SSE4.2 crc32 instruction, three streams at once
 * ------------------------------------------------------------------------------------- */

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <pthread.h>

/* One crc32 instruction has a latency of three cycles and a throughput of one, so three
 * independent streams keep it busy: a buffer is cut into three equal blocks, each gets its
 * own CRC register, and the three are joined. Joining uses linearity: the register after
 * A‖B is shift_|B|(register after A) ^ (register over B from 0), where shift_n is the
 * (linear) effect of n zero bytes, kept as four 256-entry tables per block length. */
#define CRC_LONG 8192
#define CRC_SHORT 256
static uint32_t crc_shift_long[4][256];
static uint32_t crc_shift_short[4][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2"))) static uint32_t crc_raw_zeros(uint32_t reg, size_t n) {
  uint64_t r = reg;
  for (size_t i = 0; i < n / 8; i++) r = _mm_crc32_u64(r, 0);
  return (uint32_t)r;
}

static void crc_build_shift(uint32_t table[4][256], size_t n) {
  uint32_t basis[32];
  for (int i = 0; i < 32; i++) basis[i] = crc_raw_zeros(1u << i, n);
  for (int k = 0; k < 4; k++) {
    for (int b = 0; b < 256; b++) {
      uint32_t v = 0;
      for (int j = 0; j < 8; j++)
        if (b & (1 << j)) v ^= basis[8 * k + j];
      table[k][b] = v;
    }
  }
}

static void crc_init(void) {
  crc_build_shift(crc_shift_long, CRC_LONG);
  crc_build_shift(crc_shift_short, CRC_SHORT);
}

static inline uint32_t crc_shift(const uint32_t table[4][256], uint32_t c) {
  return table[0][c & 0xff] ^ table[1][(c >> 8) & 0xff] ^ table[2][(c >> 16) & 0xff] ^ table[3][c >> 24];
}

#define CRC_THREE_WAY(BLOCK, TABLE)                                                      \
  while (len >= 3 * (BLOCK)) {                                                           \
    uint64_t c1 = 0, c2 = 0;                                                             \
    const uint8_t *end = p + (BLOCK);                                                    \
    do {                                                                                 \
      uint64_t a, b, d;                                                                  \
      memcpy(&a, p, 8);                                                                  \
      memcpy(&b, p + (BLOCK), 8);                                                        \
      memcpy(&d, p + 2 * (BLOCK), 8);                                                    \
      c0 = _mm_crc32_u64(c0, a);                                                         \
      c1 = _mm_crc32_u64(c1, b);                                                         \
      c2 = _mm_crc32_u64(c2, d);                                                         \
      p += 8;                                                                            \
    } while (p < end);                                                                   \
    c0 = crc_shift(TABLE, (uint32_t)c0) ^ (uint32_t)c1;                                  \
    c0 = crc_shift(TABLE, (uint32_t)c0) ^ (uint32_t)c2;                                  \
    p += 2 * (BLOCK);                                                                    \
    len -= 3 * (BLOCK);                                                                  \
  }

/* CRC-32C of len bytes at p, continuing from previous (0 for a fresh start). */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t previous, const uint8_t *p, size_t len) {
  uint64_t c0 = ~previous & 0xffffffffu;
  while (len > 0 && ((uintptr_t)p & 7) != 0) {
    c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    len--;
  }
  CRC_THREE_WAY(CRC_LONG, crc_shift_long)
  CRC_THREE_WAY(CRC_SHORT, crc_shift_short)
  while (len >= 8) {
    uint64_t a;
    memcpy(&a, p, 8);
    c0 = _mm_crc32_u64(c0, a);
    p += 8;
    len -= 8;
  }
  while (len > 0) {
    c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    len--;
  }
  return ~(uint32_t)c0;
}

/* crc32c(data, previous): the CRC-32C of data continuing from previous. Exported only where
 * the CPU has SSE4.2; elsewhere the JavaScript side uses its portable implementation. */
static napi_value js_crc32c(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint8_t *data = NULL;
  size_t len = 0;
  uint32_t previous;
  if (!get_args(env, info, 2, argv) || !get_bytes(env, argv[0], "data", &data, &len) || !get_u32(env, argv[1], "previous", &previous)) return NULL;
  napi_value result;
  if (napi_create_uint32(env, crc32c_sse42(previous, data, len), &result) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  return result;
}
#endif

#define EXPORT(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      EXPORT("lutimens", js_lutimens),
      EXPORT("futimens", js_futimens),
      EXPORT("closeFd", js_close_fd),
      EXPORT("alignmentOffset", js_alignment_offset),
      EXPORT("mknod", js_mknod),
      EXPORT("llistxattr", js_llistxattr),
      EXPORT("lgetxattr", js_lgetxattr),
      EXPORT("lsetxattr", js_lsetxattr),
      EXPORT("seekData", js_seek_data),
      EXPORT("seekHole", js_seek_hole),
      EXPORT("userName", js_user_name),
      EXPORT("groupName", js_group_name),
      EXPORT("userId", js_user_id),
      EXPORT("groupId", js_group_id),
      EXPORT("scanDir", js_scan_dir),
      EXPORT("readFileInto", js_read_file_into),
      EXPORT("writeFileAt", js_write_file_at),
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2") && pthread_once(&crc_once, crc_init) == 0) {
    napi_property_descriptor crc[] = {EXPORT("crc32c", js_crc32c)};
    if (napi_define_properties(env, exports, 1, crc) != napi_ok) {
      throw_napi_failure(env);
      return NULL;
    }
  }
#endif
  return exports;
}
