/* The bare reference for ci/compare_xdp.sh: BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES in a
 * tight loop, nothing else. A two-instruction XDP program returns XDP_TX, so every frame (one
 * fixed template: no header rewriting, unlike benchlab's generator) leaves through the veth named
 * by ingress ifindex, as xdp-trafficgen's does; the DUT end carries a two-instruction native
 * XDP_DROP attached with bpf_xdp_attach.
 *   bare_live_frames attach-drop IFINDEX          (in the DUT namespace; holds it until stdin closes)
 *   bare_live_frames run IFINDEX SECONDS FRAMESIZE BATCH DST_MAC SRC_MAC   (in the generator namespace)
 * `run` prints "frames SECONDS". Built by compare_xdp.sh with cc -lbpf. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int load_ret(int verdict) {
  struct bpf_insn insns[] = {
      {.code = 0xb7, .dst_reg = 0, .imm = verdict}, /* r0 = verdict */
      {.code = 0x95},                              /* exit */
  };
  int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bare", "GPL", insns, 2, NULL);
  if (fd < 0) { perror("bpf_prog_load"); exit(4); }
  return fd;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void parse_mac(const char *s, unsigned char *m) {
  if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
    fprintf(stderr, "bad MAC %s\n", s);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "attach-drop")) {
    int ifindex = atoi(argv[2]);
    int fd = load_ret(1 /* XDP_DROP */);
    if (bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL)) { perror("bpf_xdp_attach"); return 4; }
    printf("attached\n");
    fflush(stdout);
    char buf[16];
    while (read(0, buf, sizeof buf) > 0) {}
    bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
    return 0;
  }
  if (argc != 8 || strcmp(argv[1], "run")) {
    fprintf(stderr, "usage: %s attach-drop IFINDEX | run IFINDEX SECONDS FRAMESIZE BATCH DST_MAC SRC_MAC\n", argv[0]);
    return 2;
  }
  int ifindex = atoi(argv[2]);
  double seconds = atof(argv[3]);
  int size = atoi(argv[4]), batch = atoi(argv[5]);
  unsigned char frame[1514] = {0};
  parse_mac(argv[6], frame);
  parse_mac(argv[7], frame + 6);
  frame[12] = 0x08; /* IPv4 ethertype; the DUT drops before looking */
  int fd = load_ret(3 /* XDP_TX */);
  struct xdp_md ctx = {.data_end = (unsigned)size, .ingress_ifindex = (unsigned)ifindex};
  unsigned long long frames = 0;
  const unsigned repeat = (unsigned)batch * 64;
  double t0 = now_s(), t;
  while ((t = now_s()) - t0 < seconds) {
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (unsigned)size, .ctx_in = &ctx,
                .ctx_size_in = sizeof ctx, .repeat = repeat, .batch_size = (unsigned)batch,
                .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
    if (bpf_prog_test_run_opts(fd, &o)) { perror("BPF_PROG_RUN live frames"); return 1; }
    frames += repeat;
  }
  printf("%llu %.6f\n", frames, now_s() - t0);
  return 0;
}
