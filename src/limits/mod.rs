//! Limits on one request that are enforced above hyper's parser, so that a request over one
//! gets the error envelope: the time its body may take ([`body_deadline`]).

pub mod body_deadline;
