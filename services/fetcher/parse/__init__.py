"""Feed body → raw items, streamed in batches: XML (strict, repaired or item by item) or JSON Feed."""
