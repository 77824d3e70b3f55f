"""Teams adapter: translates Bot Framework activities to core calls and Answers to activities."""
