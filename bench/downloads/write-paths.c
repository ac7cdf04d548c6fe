// What it costs to put 2 GiB into a file on this machine's tmpfs (where bench/downloads/run.sh writes), three ways:
//   pwrite   256 KiB buffers written at their offsets (what ModelIde and curl do: the socket's bytes are copied into a
//            buffer, then from the buffer into the page cache);
//   mmap     the file preallocated and mapped, the bytes copied into the mapping (what a client receiving straight into
//            a mapped file would do to save the second copy);
//   populate the same, each 8 MiB of the mapping faulted in ahead with MADV_POPULATE_WRITE.
// README ("Missed: one 2 GiB file") uses it to show why saving a copy this way does not lower the big file's floor here.
// Build and run: gcc -O2 -o /tmp/write-paths bench/downloads/write-paths.c && /tmp/write-paths [dir]   (default /dev/shm)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static const long Total = 2L << 30;
static const int Chunk = 256 << 10;

static double cpu_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int run(const char *path, const char *mode, const char *buffer) {
  unlink(path);
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) { perror(path); return 1; }
  double cpu0 = cpu_seconds(), wall0 = now();
  if (strcmp(mode, "pwrite") == 0) {
    for (long at = 0; at < Total; at += Chunk) {
      if (pwrite(fd, buffer, Chunk, at) != Chunk) { perror("pwrite"); return 1; }
    }
  } else {
    if (fallocate(fd, 0, 0, Total) != 0) { perror("fallocate"); return 1; }
    char *map = mmap(NULL, Total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) { perror("mmap"); return 1; }
    const long ahead = 8L << 20;
    for (long at = 0; at < Total; at += Chunk) {
      if (strcmp(mode, "populate") == 0 && at % ahead == 0 && madvise(map + at, ahead, MADV_POPULATE_WRITE) != 0) {
        perror("madvise"); return 1;
      }
      memcpy(map + at, buffer, Chunk);
    }
    munmap(map, Total);
  }
  printf("%-8s wall %.3f s  CPU %.3f s\n", mode, now() - wall0, cpu_seconds() - cpu0);
  close(fd);
  unlink(path);
  return 0;
}

int main(int argc, char **argv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/write-paths.%d", argc > 1 ? argv[1] : "/dev/shm", (int)getpid());
  char *buffer = aligned_alloc(4096, Chunk);
  memset(buffer, 1, Chunk);
  // Twice each, interleaved: the first write into memory the VM has not touched lately can cost several times more.
  const char *modes[] = {"pwrite", "mmap", "populate", "pwrite", "mmap", "populate"};
  for (int i = 0; i < 6; i++) {
    if (run(path, modes[i], buffer) != 0) return 1;
  }
  return 0;
}
