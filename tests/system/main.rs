//! The `moonlight` binary as operators run it: real processes, signals, SIGKILL mid-match,
//! several processes sharing PostgreSQL and Redis.

mod support;

mod binary;
mod lobby_cluster;
mod recovery;
mod reliability;
