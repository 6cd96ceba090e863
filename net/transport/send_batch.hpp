// The socket writes of one turn of an I/O thread, handed to the kernel
// together: with io_uring one system call for up to 256 writes instead of
// one `sendmsg` each (on a VM that traps every system call, the call's own
// cost is a large part of a small loopback write).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/buffer.hpp>

namespace h2h::net {

/// Gets the result of a write added to a send_batch (I/O thread).
class batch_client {
public:
  virtual ~batch_client() = default;
  /// Bytes written (possibly fewer than asked: the socket filled up), or
  /// -errno (-EAGAIN: the socket was full).
  virtual void sent(long result) = 0;
};

/// I/O thread only.
class send_batch {
public:
  virtual ~send_batch() = default;
  /// Adds a write of `bufs` to the socket `fd`; it never waits for room in
  /// the socket. Of more than IOV_MAX (1024) buffers the first IOV_MAX are
  /// written (a partial write). `bufs`, what they point to and `to` stay
  /// valid until submit() returns.
  virtual void add(int fd, const boost::asio::const_buffer* bufs, std::size_t n,
                   batch_client& to)
    = 0;
  /// Writes everything added, then tells each client its result in the
  /// order added.
  virtual void submit() = 0;
  /// The kernel refused the batch's mechanism once (its writes were made
  /// one by one instead): the owner should write without it from now on.
  virtual bool broken() const = 0;
};

/// An io_uring batch; null with the reason in `why` when the kernel (or a
/// container's seccomp profile) offers no io_uring.
std::unique_ptr<send_batch> make_uring_batch(std::string& why);

} // namespace h2h::net
