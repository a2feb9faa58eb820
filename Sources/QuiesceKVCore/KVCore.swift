/// The RESP key-value service (issue 6).
