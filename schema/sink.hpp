#pragma once
// Where an extractor streams what it reads. The extractor never knows whether
// the sink writes JSON to stdout or records a catalog sync.

#include "schema/entity.hpp"

namespace connctl::schema {

class EntitySink {
 public:
  virtual ~EntitySink() = default;
  virtual void on_entity(const Entity& entity) = 0;
  virtual void on_lineage(const LineageEdge& edge) = 0;
  virtual void on_warning(const Warning& warning) = 0;
};

}  // namespace connctl::schema
