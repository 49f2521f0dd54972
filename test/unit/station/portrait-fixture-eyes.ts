/**
 * Eye centres of the shared real photographs (`../shared/fixtures/faces/`), px in the upright image,
 * measured once (2026-12-07) as the mean of each eye's six points of face-api 1.7.15's 68-point
 * landmarks on its SSD detection; rounded to 0.1 px. The portrait tests and benchmark use them so they
 * need no face detector.
 */
import type { EyeCentres } from '../../../station/imaging/portrait.ts';

export const FIXTURE_EYES: Readonly<Record<string, EyeCentres>> = {
  'alex_lacamoire__alex-lacamoire.jpg': {
    imageLeft: { x: 229.3, y: 192 },
    imageRight: { x: 292.4, y: 188.2 },
  },
  'alex_lacamoire__knn_test_alex_lacamoire1.jpg': {
    imageLeft: { x: 298.8, y: 118 },
    imageRight: { x: 352.4, y: 115.6 },
  },
  'alex_lacamoire__knn_train_img1.jpg': {
    imageLeft: { x: 198.4, y: 154.7 },
    imageRight: { x: 268.9, y: 156.9 },
  },
  'biden__biden.jpg': { imageLeft: { x: 154.3, y: 93.1 }, imageRight: { x: 189, y: 100.7 } },
  'biden__biden2.jpg': { imageLeft: { x: 296.5, y: 213.8 }, imageRight: { x: 398.7, y: 220.5 } },
  'kit_harington__john1.jpg': { imageLeft: { x: 380.2, y: 74.2 }, imageRight: { x: 407.7, y: 74.3 } },
  'kit_harington__john2.jpg': { imageLeft: { x: 340.2, y: 152.7 }, imageRight: { x: 405.1, y: 146.9 } },
  'kit_harington__knn_test_johnsnow_test1.jpg': {
    imageLeft: { x: 180.8, y: 125.5 },
    imageRight: { x: 220.3, y: 120.9 },
  },
  'lin_manuel_miranda__lin-manuel-miranda.jpg': {
    imageLeft: { x: 321.2, y: 243.5 },
    imageRight: { x: 429.8, y: 245.1 },
  },
  'obama__knn_test_obama1.jpg': { imageLeft: { x: 293.1, y: 141.4 }, imageRight: { x: 359.5, y: 136.1 } },
  'obama__obama.jpg': { imageLeft: { x: 247.1, y: 120.3 }, imageRight: { x: 306.2, y: 119.9 } },
  'obama__obama2.jpg': { imageLeft: { x: 134.3, y: 198 }, imageRight: { x: 196.3, y: 203.7 } },
  'obama__obama3.jpg': { imageLeft: { x: 203, y: 105.4 }, imageRight: { x: 234.9, y: 108.9 } },
  'obama__obama_small.jpg': { imageLeft: { x: 135.8, y: 97.3 }, imageRight: { x: 183, y: 96.7 } },
  'rose_leslie__knn_train_img1.jpg': { imageLeft: { x: 340.9, y: 98.3 }, imageRight: { x: 396.7, y: 93.4 } },
  'rose_leslie__knn_train_img2.jpg': { imageLeft: { x: 174.6, y: 181.1 }, imageRight: { x: 260.2, y: 182 } },
};
