"""The bookstore bot: a catalogue assistant that remembers the customer's name and last book."""
