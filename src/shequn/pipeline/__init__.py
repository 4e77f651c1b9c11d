"""The batch pipeline: stages over the lake, published as versioned snapshots."""
