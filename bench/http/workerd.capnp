using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .hello) ],
  sockets = [ (name = "http", address = "*:8787", http = (), service = "main") ],
);

const hello :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "workerd.js") ],
  compatibilityDate = "2025-01-01",
);
