/*
 * A TCP delay proxy for the benchmark's latency mode (the precise one; research/latency_proxy.ts is
 * the fallback when no C compiler is present).
 *
 * Listens on 127.0.0.1:<listen_port> (0 picks a free port), forwards each connection to
 * 127.0.0.1:<target_port>, and holds every chunk sent towards Redis for <delay_us> microseconds
 * before writing it on; replies come back undelayed. Each round trip thus gains <delay_us>.
 * The delay is kept with a CLOCK_MONOTONIC timerfd, so it is precise to a few microseconds.
 *
 * Prints "READY <port>" once listening; exits when stdin closes. Loopback only.
 *
 * Build: cc -O2 -o latency_proxy latency_proxy.c
 * Run:   ./latency_proxy <listen_port> <target_port> <delay_us>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536

struct pair {
  int client, upstream;
  int dead;
  int refs; /* queued chunks + 1 while open */
};

struct chunk {
  struct chunk *next;
  struct pair *pair;
  uint64_t due_ns;
  size_t len;
  char data[];
};

static struct chunk *head, *tail;
static int timer_fd;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void arm(uint64_t due_ns) {
  struct itimerspec its = {0};
  its.it_value.tv_sec = (time_t)(due_ns / 1000000000ull);
  its.it_value.tv_nsec = (long)(due_ns % 1000000000ull);
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void unref(struct pair *p) {
  if (--p->refs == 0) free(p);
}

static void kill_pair(int ep, struct pair *p) {
  if (p->dead) return;
  p->dead = 1;
  epoll_ctl(ep, EPOLL_CTL_DEL, p->client, NULL);
  epoll_ctl(ep, EPOLL_CTL_DEL, p->upstream, NULL);
  close(p->client);
  close(p->upstream);
  unref(p);
}

static int write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

static void flush_due(int ep) {
  uint64_t now = now_ns();
  while (head && head->due_ns <= now + 2000) {
    struct chunk *c = head;
    head = c->next;
    if (!head) tail = NULL;
    if (!c->pair->dead && write_all(c->pair->upstream, c->data, c->len) < 0) kill_pair(ep, c->pair);
    unref(c->pair);
    free(c);
  }
  if (head) arm(head->due_ns);
}

/* Packs a pair pointer and a direction bit into epoll's user data. */
static uint64_t tag(struct pair *p, int from_client) {
  return (uint64_t)(uintptr_t)p | (uint64_t)from_client;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <listen_port> <target_port> <delay_us>\n", argv[0]);
    return 2;
  }
  int listen_port = atoi(argv[1]), target_port = atoi(argv[2]);
  uint64_t delay_ns = (uint64_t)atoll(argv[3]) * 1000ull;

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((uint16_t)listen_port);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 512) < 0) {
    perror("latency_proxy: listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &alen);
  printf("READY %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  int ep = epoll_create1(0);
  timer_fd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct epoll_event ev = {0};
  ev.events = EPOLLIN;
  ev.data.u64 = 1; /* listen */
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.u64 = 2; /* timer */
  epoll_ctl(ep, EPOLL_CTL_ADD, timer_fd, &ev);
  ev.data.u64 = 3; /* stdin */
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);

  static char buf[BUF];
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("latency_proxy: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      uint64_t u = events[i].data.u64;
      if (u == 1) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) continue;
        int ufd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in target = {0};
        target.sin_family = AF_INET;
        target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        target.sin_port = htons((uint16_t)target_port);
        if (connect(ufd, (struct sockaddr *)&target, sizeof target) < 0) {
          close(cfd);
          close(ufd);
          continue;
        }
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct pair *p = calloc(1, sizeof *p);
        p->client = cfd;
        p->upstream = ufd;
        p->refs = 1;
        ev.events = EPOLLIN;
        ev.data.u64 = tag(p, 1);
        epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
        ev.data.u64 = tag(p, 0);
        epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
      } else if (u == 2) {
        uint64_t expirations;
        if (read(timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) {
          perror("latency_proxy: timerfd");
        }
        flush_due(ep);
      } else if (u == 3) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r <= 0) return 0;
      } else {
        struct pair *p = (struct pair *)(uintptr_t)(u & ~(uint64_t)1);
        int from_client = (int)(u & 1);
        if (p->dead) continue;
        ssize_t r = read(from_client ? p->client : p->upstream, buf, sizeof buf);
        if (r <= 0) {
          if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
          kill_pair(ep, p);
          continue;
        }
        if (!from_client) {
          if (write_all(p->client, buf, (size_t)r) < 0) kill_pair(ep, p);
          continue;
        }
        struct chunk *c = malloc(sizeof *c + (size_t)r);
        c->next = NULL;
        c->pair = p;
        c->len = (size_t)r;
        c->due_ns = now_ns() + delay_ns;
        memcpy(c->data, buf, (size_t)r);
        p->refs++;
        if (tail) {
          tail->next = c;
        } else {
          head = c;
          arm(c->due_ns);
        }
        tail = c;
      }
    }
  }
}
