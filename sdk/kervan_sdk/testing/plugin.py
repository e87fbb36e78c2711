"""pytest plugin placeholder: replaced by the SDK work (issue 4)."""
