/*
 * Stand-ins for the encoder libraries that PyAV's wheel links into its FFmpeg but the agent
 * never uses: libx264 and libx265 (GPL-2+, which a proprietary app must not distribute) and
 * SVT-AV1 (BSD, 7 MB of AV1 encoder). `build/deb/stub_codecs.py` compiles this file once per
 * library, with the original's SONAME, and puts the result in place of the original in the
 * agent folder's `_internal/av.libs/`. libavcodec (built as LGPL-3: `av._core.library_meta`)
 * still loads, and opening one of those encoders fails with an error (EINVAL for libx264,
 * ENOMEM for the other two: PyAV raises) instead of encoding. The app encodes VP8 and VP9
 * with libvpx (BSD) only: suite/screen/video/encoder.py, suite/recording/webm_writer.py.
 *
 * Every function FFmpeg 8's libx264.c, libx265.c and libsvtav1.c call is defined here; the
 * ones that return a status return an error, the ones that return a handle return NULL.
 */
#include <stddef.h>

#if defined(STUB_X264)
/* x264_param_default_preset() fails first, so libx264.c stops with EINVAL. */
const unsigned char x264_levels[64] = {0}; /* an empty level table: level_idc 0 ends it */
int x264_param_default(void) { return -1; }
int x264_param_default_preset(void) { return -1; }
int x264_param_apply_profile(void) { return -1; }
int x264_param_apply_fastfirstpass(void) { return -1; }
int x264_param_parse(void) { return -1; }
void x264_param_cleanup(void) {}
void x264_picture_init(void) {}
void *x264_encoder_open_165(void) { return NULL; }
int x264_encoder_reconfig(void) { return -1; }
int x264_encoder_headers(void) { return -1; }
int x264_encoder_encode(void) { return -1; }
void x264_encoder_close(void) {}
int x264_encoder_delayed_frames(void) { return 0; }
int x264_encoder_maximum_delayed_frames(void) { return 0; }

#elif defined(STUB_X265)
/* libx265.c calls api->param_alloc() on what x265_api_get() returns, without checking it:
 * so a table whose every entry returns 0 (param_alloc: NULL, and libx265.c fails with ENOMEM). */
static void *x265_stub_none(void) { return NULL; }
static struct {
    int numbers[8];          /* versions, struct sizes, bit depth */
    const char *strings[2];  /* version_str, build_info_str */
    void *(*functions[128])(void);
} x265_stub_api;
const void *x265_api_get_216(int bit_depth) {
    (void)bit_depth;
    x265_stub_api.strings[0] = x265_stub_api.strings[1] = "not included";
    for (size_t i = 0; i < sizeof x265_stub_api.functions / sizeof *x265_stub_api.functions; i++)
        x265_stub_api.functions[i] = x265_stub_none;
    return &x265_stub_api;
}

#elif defined(STUB_SVTAV1)
/* EB_ErrorInsufficientResources: svt_av1_enc_init_handle() fails, libsvtav1.c stops there. */
#define SVT_FAIL ((int)0x80001000)
int svt_av1_enc_init_handle(void) { return SVT_FAIL; }
int svt_av1_enc_set_parameter(void) { return SVT_FAIL; }
int svt_av1_enc_parse_parameter(void) { return SVT_FAIL; }
int svt_av1_enc_init(void) { return SVT_FAIL; }
int svt_av1_enc_stream_header(void) { return SVT_FAIL; }
int svt_av1_enc_stream_header_release(void) { return SVT_FAIL; }
int svt_av1_enc_send_picture(void) { return SVT_FAIL; }
int svt_av1_enc_get_packet(void) { return SVT_FAIL; }
void svt_av1_enc_release_out_buffer(void) {}
int svt_av1_enc_get_stream_info(void) { return SVT_FAIL; }
int svt_av1_enc_deinit(void) { return SVT_FAIL; }
int svt_av1_enc_deinit_handle(void) { return SVT_FAIL; }
int svt_add_metadata(void) { return SVT_FAIL; }
void svt_metadata_array_free(void) {}

#else
#error "define STUB_X264, STUB_X265 or STUB_SVTAV1"
#endif
