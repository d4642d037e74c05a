import '@testing-library/jest-dom/vitest';

// jsdom lays nothing out, so it has no scrolling; the router scrolls to the top on navigation.
window.scrollTo = () => {};
