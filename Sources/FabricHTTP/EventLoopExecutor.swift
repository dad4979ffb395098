import NIOCore

/// Runs tasks on one NIO event loop: a connection's task and its children stay on the
/// thread that reads and writes its socket.
///
/// A request otherwise crosses threads three times (event loop → Swift's pool to run the
/// handler, nats.c's delivery thread → the pool with the reply, the pool → the event loop
/// to write it); on two cores those wake-ups cost more than the request's own work. Here
/// only the reply's hop from nats.c to the event loop remains. What runs here must not
/// block, as everywhere in Swift concurrency; it now also shares the thread with the
/// loop's other connections.
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
